/**
 * `effect-ovirt/testing`: the engine simulator for testing your own automation, without loading
 * the rest of the SDK's entry point. src/testing is the one place that imports both the simulator and
 * the SDK (Simulator.ts: `Simulator.layer`, a `Connection` to a fresh simulator).
 *
 * ```ts
 * import { Simulator } from "effect-ovirt/testing"
 * const TestLive = Simulator.layer({ seed: "my-tests", timing: { vmStart: 50 } })
 * ```
 */
export * as Simulator from "./Simulator.js"

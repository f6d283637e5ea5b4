/**
 * A simulator shared by the tests of a `describe` block: started before its first test, closed after
 * its last. `use` receives it (`let sim: Sim` then `sharedSimulator(options, (s) => (sim = s))`).
 */
import { afterAll, beforeAll } from "@effect/vitest"
import { Simulator } from "../../src/testing/index.js"

export const sharedSimulator = (options: Simulator.SimulatorOptions, use: (sim: Simulator.RunningSimulator) => void): void => {
  let started: Simulator.RunningSimulator | undefined
  beforeAll(async () => {
    started = await Simulator.start(options)
    use(started)
  })
  afterAll(() => started?.close())
}

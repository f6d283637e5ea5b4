/**
 * The effect-ovirt demo (`npm run demo`).
 *
 * It starts an embedded oVirt engine simulator on loopback (HTTPS, SSO, the whole API model) and
 * walks through what automation usually does: connect, read the inventory page by page, create a VM
 * from a template, add a disk, start the VM and wait until it is up (`Wait.forStatus`), take a
 * snapshot, stop and remove the VM, and close the connection (which revokes the SSO token).
 *
 * To run the same program against a real engine, set OVIRT_URL (e.g.
 * https://engine.example.com/ovirt-engine/api), OVIRT_USERNAME, OVIRT_PASSWORD and OVIRT_CA_FILE,
 * and optionally OVIRT_DEMO_TEMPLATE (default `Blank`) and OVIRT_DEMO_CLUSTER (default `Default`).
 */
import { Effect, Schedule, Stream } from "effect"
import { Connection, system, type Types, Wait } from "../src/index.js"
import { Simulator } from "../src/testing/index.js"
import { isMain } from "./support.js"

const GiB = 1024 ** 3
const tty = process.stdout.isTTY === true
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s)
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s)
const green = (s: string) => (tty ? `\x1b[32m${s}\x1b[0m` : s)

const say = (text: string) => Effect.sync(() => console.log(text))
const step = (n: number, title: string) => say(`\n${bold(`${n}. ${title}`)}`)

/** A plain text table: columns padded to their widest cell. */
const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()
  return ["   " + bold(line(head)), ...rows.map((r) => "   " + line(r))].join("\n")
}

/** How often the demo polls while it waits (the SDK's default grows from 1 s to 10 s; a demo wants to show each step). */
const poll = { schedule: Schedule.spaced("250 millis"), timeout: "10 minutes" } as const

const gib = (bytes: number | undefined) => (bytes === undefined ? "-" : `${(bytes / GiB).toFixed(0)} GiB`)

/**
 * Shows the statuses an object goes through while we wait: on a terminal one line rewritten in
 * place (with a running clock), otherwise one line per change.
 */
const progress = (label: string) => {
  const started = Date.now()
  const seen: Array<string> = []
  const seconds = () => (Date.now() - started) / 1000
  const render = () => `   ${label}: ${seen.join(" → ")} ${dim(`(${seconds().toFixed(1)} s)`)}`
  return {
    update: (status: string | undefined) => {
      const changed = seen[seen.length - 1] !== (status ?? "?")
      if (changed) seen.push(status ?? "?")
      if (tty) process.stdout.write(`\r\x1b[2K${render()}`)
      else if (changed) console.log(render())
    },
    done: (): number => {
      if (tty) process.stdout.write("\n")
      return seconds()
    }
  }
}

/** The demo itself: any `Connection` will do (simulator or real engine). */
export const demo = Effect.gen(function* () {
  const timings: Array<readonly [string, number]> = []
  const timed = <A, E, R>(label: string, effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const t0 = Date.now()
      const a = yield* effect
      timings.push([label, (Date.now() - t0) / 1000])
      return a
    })

  // 1. Connect: the first call logs in (SSO password grant) and the token is shared by every call.
  yield* step(1, "Connect")
  const connection = yield* Connection.Connection
  const api = yield* timed("connect", system.get())
  const version = api.productInfo?.version?.fullVersion ?? "?"
  yield* say(`   ${green("✓")} ${api.productInfo?.name ?? "oVirt Engine"} ${version} at ${connection.url}`)

  // 2. Inventory: VMs with their status, host and memory, read page by page (`listAll`: one
  //    request of 10 VMs at a time, the next when the stream needs it). Hosts are listed to name them.
  yield* step(2, "Inventory")
  const paging = progress("VMs read, 10 a page")
  const pagedVms = system.vms.listAll({ pageSize: 10 }).pipe(
    Stream.runFoldEffect([] as Array<Types.Vm>, (all, vm) => Effect.sync(() => {
      all.push(vm)
      if (all.length % 10 === 0) paging.update(String(all.length))
      return all
    })),
    Effect.tap((all) => Effect.sync(() => {
      paging.update(String(all.length))
      paging.done()
    }))
  )
  const [vms, hosts, clusters] = yield* timed(
    "inventory",
    Effect.all([pagedVms, system.hosts.list(), system.clusters.list()], { concurrency: 3 })
  )
  const hostName = new Map(hosts.map((h) => [h.id, h.name ?? "?"]))
  const clusterName = new Map(clusters.map((c) => [c.id, c.name ?? "?"]))
  const shown = vms.slice(0, 12)
  yield* say(
    table(
      ["NAME", "STATUS", "HOST", "MEMORY", "CLUSTER"],
      shown.map((vm) => [
        vm.name ?? "?",
        vm.status ?? "?",
        vm.host?.id ? (hostName.get(vm.host.id) ?? vm.host.id) : "-",
        gib(vm.memory),
        vm.cluster?.id ? (clusterName.get(vm.cluster.id) ?? "?") : "-"
      ])
    )
  )
  const byStatus = new Map<string, number>()
  for (const vm of vms) byStatus.set(vm.status ?? "?", (byStatus.get(vm.status ?? "?") ?? 0) + 1)
  const counts = Array.from(byStatus, ([s, n]) => `${n} ${s}`).join(", ")
  yield* say(dim(`   ${vms.length > shown.length ? `… and ${vms.length - shown.length} more. ` : ""}${vms.length} VMs (${counts}) on ${hosts.length} hosts.`))

  // 3. Create a VM from a template. The engine copies the template's disks, so the VM is
  //    `image_locked` for a moment before it is `down` and can be started.
  const onSimulator = !process.env.OVIRT_URL
  const templateName = process.env.OVIRT_DEMO_TEMPLATE ?? (onSimulator ? "centos-stream-9" : "Blank")
  const clusterWanted = process.env.OVIRT_DEMO_CLUSTER ?? "Default"
  const name = `demo-${Math.random().toString(36).slice(2, 7)}`
  yield* step(3, `Create VM ${name} from template ${templateName}`)
  const created = yield* timed(
    "create VM",
    system.vms.add({
      name,
      description: "Created by the effect-ovirt demo",
      cluster: { name: clusterWanted },
      template: { name: templateName },
      memory: 2 * GiB
    })
  )
  const vm = system.vms.vm(created.id!)
  const createProgress = progress(name)
  yield* timed("wait for down", Wait.forStatus(vm, "down", { ...poll, onPoll: (v) => Effect.sync(() => createProgress.update(v.status)) }))
  createProgress.done()
  yield* say(`   ${green("✓")} ${name} (${created.id})`)

  // 4. Add a 1 GiB disk, attached to the VM; new disks are `locked` until the storage is ready.
  yield* step(4, "Add a disk")
  const domains = yield* system.storageDomains.list()
  const data = domains.find((d) => d.type === "data" && (d.status === undefined || d.status === "active")) ?? domains[0]
  const attachment = yield* timed(
    "add disk",
    vm.diskAttachments.add({
      disk: { name: `${name}_data`, provisionedSize: GiB, format: "cow", sparse: true, storageDomains: [{ id: data.id! }] },
      interface: "virtio_scsi",
      bootable: false,
      active: true
    })
  )
  const disk = system.disks.disk(attachment.disk!.id!)
  const diskProgress = progress(`${name}_data`)
  yield* timed("wait for disk ok", Wait.forStatus(disk, "ok", { ...poll, onPoll: (d) => Effect.sync(() => diskProgress.update(d.status)) }))
  diskProgress.done()
  yield* say(`   ${green("✓")} 1 GiB on ${data.name ?? "?"}`)

  // 5. Start the VM and wait for `up`, showing each status it goes through.
  yield* step(5, "Start the VM")
  yield* vm.start()
  const startProgress = progress(name)
  const up = yield* timed("start → up", Wait.forStatus(vm, "up", { ...poll, onPoll: (v) => Effect.sync(() => startProgress.update(v.status)) }))
  const took = startProgress.done()
  yield* say(`   ${green("✓")} up on ${up.host?.id ? (hostName.get(up.host.id) ?? up.host.id) : "?"} after ${took.toFixed(1)} s`)

  // 6. Take a snapshot; it is `locked` until done.
  yield* step(6, "Take a snapshot")
  const snapshot = yield* vm.snapshots.add({ description: "before-upgrade", persistMemorystate: false })
  yield* timed(
    "snapshot",
    Wait.forStatus(vm.snapshots.snapshot(snapshot.id!), "ok", poll)
  )
  yield* say(`   ${green("✓")} snapshot "before-upgrade" (${snapshot.id})`)

  // 7. Stop and remove the VM (a running VM cannot be removed: the engine answers 409).
  yield* step(7, "Stop and remove the VM")
  yield* vm.stop()
  const stopProgress = progress(name)
  yield* timed("stop → down", Wait.forStatus(vm, "down", { ...poll, onPoll: (v) => Effect.sync(() => stopProgress.update(v.status)) }))
  stopProgress.done()
  yield* timed("remove", Effect.zipRight(vm.remove(), Wait.forRemoval(vm, poll)))
  yield* say(`   ${green("✓")} removed (a get now fails with NotFoundError)`)

  // 8. Summary.
  yield* step(8, "Summary")
  yield* say(table(["STEP", "SECONDS"], timings.map(([label, s]) => [label, s.toFixed(2)])))
  return { vms: vms.length, created: name } as const
})

/** Runs the demo against OVIRT_URL when set, else against a fresh simulator. */
export const main: Effect.Effect<void, unknown> = Effect.gen(function* () {
  if (process.env.OVIRT_URL) {
    yield* say(bold("effect-ovirt demo") + dim(` (engine: ${process.env.OVIRT_URL})`))
    yield* demo.pipe(Effect.provide(Connection.layerConfig()))
    yield* say(`\n${green("✓")} Connection closed; the SSO token was revoked.`)
    return
  }
  yield* Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* Simulator.make({ seed: "demo" })
      yield* say(bold("effect-ovirt demo") + dim(" against the embedded simulator (set OVIRT_URL and friends to use a real engine)"))
      yield* say(dim(`   simulator: ${sim.url}  CA: ${sim.caFile}`))
      // The connection lives in its own scope: leaving it closes the pool and revokes the token.
      yield* demo.pipe(Effect.provide(Connection.layer(Simulator.connectionOptions(sim))))
      const stats = sim.stats()
      yield* say(
        `\n${green("✓")} Connection closed: ${stats.tokensRevoked} of ${stats.tokensIssued} SSO token(s) revoked, ${stats.requests} API requests served.`
      )
    })
  )
})

if (isMain(import.meta.url)) {
  Effect.runPromiseExit(main).then((exit) => {
    if (exit._tag === "Failure") {
      console.error(`\nThe demo failed:\n${String(exit.cause)}`)
      process.exitCode = 1
    }
  })
}

export type { Types }

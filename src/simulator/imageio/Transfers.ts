/**
 * Image transfers through the API (`POST /imagetransfers`), with the engine's phases:
 * `initializing` → `transferring` → (`finalize`) `finalizing_success` → `finished_success`, or
 * `cancel` → `cancelled_user` → `finalizing_failure` → `finished_failure`; a ticket left idle
 * past `inactivity_timeout` pauses the transfer (`paused_system`) or, with `timeout_policy:
 * cancel`, fails it. The disk is `locked` while a transfer is open and `ok` after, with its
 * `actual_size` (and for uploads its `format`) following what was written.
 * A decorator over the other hooks: everything that is not about transfers passes through.
 */
import type { Timing } from "../behaviour/Behaviour.js"
import type { Engine } from "../Engine.js"
import type { ActionContext, AddContext, EntityTarget, Hooks } from "../Targets.js"
import { badRequest, conflict, notFound } from "../Faults.js"
import type { Obj, Store } from "../Store.js"
import type { ImageIo } from "./ImageIo.js"

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb])

/** What the transfer behaviour works with. */
interface Plane {
  readonly store: Store
  readonly imageio: ImageIo
  readonly timing: () => Timing
  /** Transfer id → its ticket id (never rendered: the ticket only appears inside the URLs). */
  readonly ticketOf: Map<string, string>
}

const diskOf = (plane: Plane, transfer: Obj): Obj | undefined => plane.store.get("disks", (transfer.disk as Obj | undefined)?.id as string)

const setPhase = (plane: Plane, transfer: Obj, phase: string, after = 0, then?: () => void): void => {
  const { store } = plane
  store.schedule(after, () => {
    transfer.phase = phase
    then?.()
  }, transfer)
}

/** Ends a transfer: ticket removed, disk unlocked. */
const close = (plane: Plane, transfer: Obj, success: boolean): void => {
  const { store, imageio, ticketOf } = plane
  const ticketId = ticketOf.get(transfer.id as string)
  if (ticketId !== undefined) imageio.tickets.remove(ticketId)
  transfer.active = false
  const disk = diskOf(plane, transfer)
  if (disk === undefined) return
  store.cancel(disk)
  disk.status = "ok"
  const content = imageio.existing(disk.id as string)
  if (success && transfer.direction === "upload" && content !== undefined) {
    disk.format = transfer.format ?? disk.format
    disk.actualSize = transfer.format === "cow" ? content.highWater : content.allocated
    disk.totalSize = disk.actualSize
  }
}

const fail = (plane: Plane, transfer: Obj, first: string): void => {
  const { store, timing } = plane
  store.cancel(transfer)
  transfer.phase = first
  setPhase(plane, transfer, "finalizing_failure", timing().lock / 2)
  setPhase(plane, transfer, "finished_failure", timing().lock, () => close(plane, transfer, false))
}

/** An idle ticket expired: the engine pauses the transfer, or with `timeout_policy: cancel` fails it. */
const expired = (plane: Plane, transfer: Obj): void => {
  if (transfer.active !== true || transfer.phase !== "transferring") return
  if (transfer.timeoutPolicy === "cancel") fail(plane, transfer, "cancelled_system")
  else transfer.phase = "paused_system"
}

const addTransfer = (plane: Plane, ctx: AddContext): Obj => {
  const { store, imageio, timing, ticketOf } = plane
  const t = ctx.obj
  const diskRef = (t.disk ?? t.image) as Obj | undefined
  const diskId = diskRef?.id
  if (typeof diskId !== "string") throw badRequest("Image transfer needs disk.id (or image.id)")
  const disk = store.get("disks", diskId)
  if (disk === undefined) throw notFound(`Disk: id=${diskId}`)
  if (disk.status === "locked") throw conflict("Cannot transfer Virtual Disk. Disk is locked. Please try again later.")
  const direction = (t.direction as string | undefined) ?? "upload"
  if (direction !== "upload" && direction !== "download") throw badRequest(`Invalid direction: ${direction}`)
  const format = (t.format as string | undefined) ?? (disk.format as string | undefined) ?? "raw"
  const provisioned = typeof disk.provisionedSize === "number" ? disk.provisionedSize : 0
  const initial = typeof disk.initialSize === "number" ? disk.initialSize : 0
  const content =
    direction === "upload" ? imageio.content(diskId, Math.max(provisioned, initial)) : (imageio.existing(diskId) ?? imageio.content(diskId, provisioned))
  // a qcow2 volume on file storage is a file as long as what was written; raw is the whole disk
  const size = direction === "download" && format === "cow" && content.highWater > 0 ? content.highWater : content.size
  const ticketId = store.random.uuid()
  imageio.tickets.add({
    id: ticketId,
    diskId,
    content,
    access: direction === "upload" ? "write" : "read",
    size,
    timeoutSeconds: typeof t.inactivityTimeout === "number" ? t.inactivityTimeout : 60,
    onExpire: () => expired(plane, transfer)
  })
  const host = store.list("hosts").find((h) => h.status === "up")
  const transfer: Obj = {
    ...t,
    disk: { id: diskId },
    image: { id: (disk.imageId as string | undefined) ?? diskId },
    direction,
    format,
    inactivityTimeout: typeof t.inactivityTimeout === "number" ? t.inactivityTimeout : 60,
    timeoutPolicy: t.timeoutPolicy ?? "legacy",
    phase: "initializing",
    active: true,
    transferred: 0,
    shallow: t.shallow ?? false,
    ...(host ? { host: { id: host.id } } : {})
  }
  ticketOf.set(transfer.id as string, ticketId)
  store.cancel(disk)
  disk.status = "locked"
  setPhase(plane, transfer, "transferring", timing().lock, () => {
    transfer.transferUrl = `${imageio.daemon.imagesUrl}${ticketId}`
    transfer.proxyUrl = `${imageio.proxy.imagesUrl}${ticketId}`
    if (imageio.knobs.transferFailure === "pause") transfer.phase = "paused_system"
  })
  return transfer
}

/** `finalize`: the ticket is removed and the transfer ends in success, unless the image is refused. */
const finalize = (plane: Plane, transfer: Obj, phase: string): void => {
  const { store, imageio, timing, ticketOf } = plane
  if (phase !== "transferring" && phase !== "paused_user" && phase !== "paused_system") {
    throw conflict(`Cannot finalize image transfer. The transfer is in phase ${phase}.`)
  }
  store.cancel(transfer)
  const ticketId = ticketOf.get(transfer.id as string)
  const ticket = ticketId === undefined ? undefined : imageio.tickets.get(ticketId)
  if (ticketId !== undefined) imageio.tickets.remove(ticketId)
  // the engine checks an uploaded qcow2 image (qemu-img info) before it accepts it
  const badImage = transfer.direction === "upload" && transfer.format === "cow" && ticket !== undefined && !ticket.content.read(0, 4).equals(QCOW2_MAGIC)
  if (imageio.knobs.transferFailure === "finalize" || badImage) {
    transfer.phase = "finalizing_failure"
    setPhase(plane, transfer, "finished_failure", timing().lock, () => close(plane, transfer, false))
  } else {
    transfer.phase = "finalizing_success"
    if (ticket !== undefined) transfer.transferred = transfer.direction === "upload" ? ticket.content.highWater : ticket.size
    setPhase(plane, transfer, "finished_success", timing().lock, () => close(plane, transfer, true))
  }
}

const transferAction = (plane: Plane, ctx: ActionContext): Obj => {
  const { timing } = plane
  const transfer = ctx.target.obj
  const phase = transfer.phase as string
  switch (ctx.action) {
    case "finalize":
      finalize(plane, transfer, phase)
      return {}
    case "cancel":
      if (phase.startsWith("finished") || phase.startsWith("finalizing") || phase.startsWith("cancelled")) {
        throw conflict(`Cannot cancel image transfer. The transfer is in phase ${phase}.`)
      }
      fail(plane, transfer, "cancelled_user")
      return {}
    case "pause":
      if (phase !== "transferring") throw conflict(`Cannot pause image transfer. The transfer is in phase ${phase}.`)
      transfer.phase = "paused_user"
      return {}
    case "resume":
      if (phase !== "paused_user" && phase !== "paused_system") throw conflict(`Cannot resume image transfer. The transfer is in phase ${phase}.`)
      transfer.phase = "resuming"
      setPhase(plane, transfer, "transferring", timing().lock / 2)
      return {}
    default:
      return {}
  }
}

export const withImageTransfers = (base: Hooks, engine: Engine, imageio: ImageIo, timing: () => Timing): Hooks => {
  const plane: Plane = { store: engine.store, imageio, timing, ticketOf: new Map() }
  return {
    add: (ctx) => (ctx.collection.struct?.name === "ImageTransfer" ? addTransfer(plane, ctx) : base.add(ctx)),
    update: base.update,
    remove: (target: EntityTarget, query: URLSearchParams) => {
      base.remove(target, query)
      if (target.struct?.name === "Disk" && target.bucket === "disks") imageio.drop(target.obj.id as string)
    },
    action: (ctx) => (ctx.target.struct?.name === "ImageTransfer" ? transferAction(plane, ctx) : base.action(ctx))
  }
}

/**
 * The shapes users program against (checked by `npm run typecheck`; at run time only the values).
 */
import type { Effect, Stream } from "effect"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import type { Connection } from "../src/services/Connection.js"
import type { OvirtError } from "../src/core/Errors.js"
import * as VmService from "../src/services/generated/VmService.js"
import * as VmsService from "../src/services/generated/VmsService.js"
import { system } from "../src/services/index.js"
import type * as Types from "../src/types/index.js"

type Call<A> = Effect.Effect<A, OvirtError, Connection>

describe("service signatures", () => {
  it("follow the model: results, bodies first, options by camelCase names", () => {
    expectTypeOf(system.vms.list).returns.toEqualTypeOf<Call<ReadonlyArray<Types.Vm>>>()
    expectTypeOf(system.vms.listStream).returns.toEqualTypeOf<Stream.Stream<Types.Vm, OvirtError, Connection>>()
    expectTypeOf(system.vms.add).parameter(0).toEqualTypeOf<Types.Vm>()
    expectTypeOf(system.vms.addFromScratch).returns.toEqualTypeOf<Call<Types.Vm>>()
    expectTypeOf(system.vms.vm("1").get).returns.toEqualTypeOf<Call<Types.Vm>>()
    expectTypeOf(system.vms.vm("1").remove).returns.toEqualTypeOf<Call<void>>()
    expectTypeOf(system.vms.vm("1").ticket).returns.toEqualTypeOf<Call<Types.Ticket>>()
    expectTypeOf(system.storageDomains.storageDomain("1").isAttached).returns.toEqualTypeOf<Call<boolean>>()
    expectTypeOf(system.hosts.host("1").iscsiDiscover).returns.toEqualTypeOf<Call<ReadonlyArray<string>>>()
    expectTypeOf<VmsService.ListOptions>().toHaveProperty("caseSensitive").toEqualTypeOf<boolean | undefined>()
    expectTypeOf<VmService.ExportOptions>().toHaveProperty("async").toEqualTypeOf<boolean | undefined>()
    expectTypeOf<VmService.StartOptions>().toHaveProperty("timeout")
    expectTypeOf(VmsService.list).parameters.toEqualTypeOf<[path: string, options?: VmsService.ListOptions]>()
    expectTypeOf(VmService.export_).returns.toEqualTypeOf<Call<void>>()
    expectTypeOf(system.vms.vm("1").diskAttachments).toEqualTypeOf<import("../src/services/generated/DiskAttachmentsService.js").DiskAttachmentsServiceRef>()
    expect(typeof system.vms.vm("1").export).toBe("function")
  })
})

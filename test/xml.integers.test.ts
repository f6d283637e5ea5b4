/**
 * Integer members as the XML schema types them (ovirt-api README, "schemaType"): `xs:int` unless the
 * model says `xs:long` (sizes) or `xs:unsignedInt`. Real sample documents, modified to carry values an
 * engine cannot send: both modes refuse them naming the element (never rounding), and the writer
 * refuses the same values before anything is sent.
 */
import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { DecodeError, InvalidInputError } from "../src/core/Errors.js"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"
import { ovirtApiPath, sharedPresent } from "./support/shared.js"

const sample = (file: string): string => fs.readFileSync(ovirtApiPath("samples", file), "utf8")

/** `sample` with the text of the first `<tag>` (the `nth` one, from 1) replaced by `value`. */
const withValue = (text: string, tag: string, value: string, nth = 1): string => {
  let seen = 0
  const out = text.replace(new RegExp(`<${tag}>[^<]*</${tag}>`, "g"), (whole) => (++seen === nth ? `<${tag}>${value}</${tag}>` : whole))
  if (seen < nth) throw new Error(`the sample has no ${nth}th <${tag}>`)
  return out
}

const failure = (effect: Effect.Effect<unknown, DecodeError>) =>
  Effect.map(Effect.flip(effect), (error) => {
    expect(error).toBeInstanceOf(DecodeError)
    return error
  })

const present = sharedPresent(ovirtApiPath("samples", "0015.xml"), "the integer range tests")

describe.skipIf(!present)("integers in engine documents", () => {
  // 0015: the engine's answer to POST /vms, with cpu.topology.cores (xs:int) and memory (xs:long)
  const vm = () => sample("0015.xml")

  it.effect("reads the unmodified sample in strict mode", () =>
    Effect.gen(function* () {
      const read = yield* Xml.decodeAs(Types.Vm, { strict: true })(vm())
      expect(read.memory).toBe(1073741824)
      expect(read.cpu?.topology?.cores).toBe(1)
    })
  )

  it.effect("takes an xs:int member's bounds and an xs:long member's safe range", () =>
    Effect.gen(function* () {
      for (const strict of [false, true]) {
        for (const cores of ["2147483647", "-2147483648"]) {
          const read = yield* Xml.decodeAs(Types.Vm, { strict })(withValue(vm(), "cores", cores))
          expect(read.cpu?.topology?.cores).toBe(Number(cores))
        }
        for (const memory of ["9007199254740991", "-9007199254740991", "8796093022208000"]) {
          const read = yield* Xml.decodeAs(Types.Vm, { strict })(withValue(vm(), "memory", memory))
          expect(read.memory).toBe(Number(memory))
        }
      }
    })
  )

  it.effect("refuses in both modes an xs:int member past 2^31 - 1 or below -2^31, naming the element", () =>
    Effect.gen(function* () {
      for (const strict of [false, true]) {
        for (const cores of ["2147483648", "-2147483649", "4294967296", "9007199254740991"]) {
          const error = yield* failure(Xml.decodeAs(Types.Vm, { strict })(withValue(vm(), "cores", cores)))
          expect(error.element).toBe("/vm/cpu/topology/cores")
          expect(error.text).toBe(cores)
          expect(error.message).toBe("Integer value at /vm/cpu/topology/cores is outside -2147483648..2147483647 (xs:int)")
        }
      }
    })
  )

  it.effect("refuses in both modes an xs:long a number cannot hold exactly, instead of rounding it", () =>
    Effect.gen(function* () {
      // 2^53 + 1 reads as 2^53; 2^63 - 1 (Long.MAX_VALUE) as 2^63; 10^23 as 99999999999999991611392
      for (const memory of ["9007199254740993", "9223372036854775807", "100000000000000000000000", "-9007199254740993"]) {
        for (const strict of [false, true]) {
          const error = yield* failure(Xml.decodeAs(Types.Vm, { strict })(withValue(vm(), "memory", memory)))
          expect(error.element).toBe("/vm/memory")
          expect(error.text).toBe(memory)
          expect(error.message).toContain("cannot be held exactly by a number")
        }
      }
    })
  )

  it.effect("refuses an xs:long past 2^53 even when a number holds it exactly: the writer could not send it back", () =>
    Effect.gen(function* () {
      const text = withValue(vm(), "memory", "1152921504606846976") // 2^60
      for (const strict of [false, true]) {
        const error = yield* failure(Xml.decodeAs(Types.Vm, { strict })(text))
        expect(error.message).toBe("Integer value at /vm/memory is outside -9007199254740991..9007199254740991 (xs:long)")
      }
    })
  )

  it.effect("exponents and fractions are not integers, in either mode", () =>
    Effect.gen(function* () {
      for (const memory of ["1e23", "1E3", "1.5", "1073741824.0", "0x10"]) {
        for (const strict of [false, true]) {
          const error = yield* failure(Xml.decodeAs(Types.Vm, { strict })(withValue(vm(), "memory", memory)))
          expect(error.element).toBe("/vm/memory")
          expect(error.text).toBe(memory)
        }
      }
    })
  )

  it.effect("names the item of a collection (0002) and the size of a disk (0027)", () =>
    Effect.gen(function* () {
      const vms = withValue(sample("0002.xml"), "memory", "18446744073709551615", 2)
      const error = yield* failure(Xml.decodeListAs(Types.Vm)(vms))
      expect(error.element).toBe("/vms/vm[2]/memory")
      const disk = withValue(sample("0027.xml"), "provisioned_size", "36893488147419103233")
      expect((yield* failure(Xml.decodeAs(Types.Disk)(disk))).element).toBe("/disk/provisioned_size")
      // the streaming reader says the same, with the document cut in two chunks
      const bytes = new TextEncoder().encode(vms)
      const streamed = yield* failure(Stream.runCollect(Xml.decodeStream(Types.Vm)(Stream.make(bytes.subarray(0, 100), bytes.subarray(100)))))
      expect(streamed.element).toBe("/vms/vm[2]/memory")
    })
  )
})

describe("integers the writer refuses", () => {
  const encodeError = (value: Types.Vm) =>
    Effect.map(Effect.flip(Xml.encode(Types.Vm)(value)), (error) => {
      expect(error).toBeInstanceOf(InvalidInputError)
      return error
    })

  it.effect("refuses what the engine could not read or a number cannot hold exactly, naming the member", () =>
    Effect.gen(function* () {
      const cores = yield* encodeError({ cpu: { topology: { cores: 2 ** 31 } } })
      expect(cores.paths).toEqual(["vm.cpu.topology.cores"])
      expect(cores.message).toContain("must be an Integer within -2147483648..2147483647 (xs:int), got 2147483648")
      const memory = yield* encodeError({ memory: 1e23 })
      expect(memory.paths).toEqual(["vm.memory"])
      expect(memory.message).toContain("(xs:long), got 99999999999999991611392")
      expect((yield* encodeError({ memory: 2 ** 53 })).paths).toEqual(["vm.memory"])
      expect((yield* encodeError({ memory: -(2 ** 53) })).paths).toEqual(["vm.memory"])
    })
  )

  it.effect("writes the bounds themselves", () =>
    Effect.gen(function* () {
      const text = yield* Xml.encode(Types.Vm)({ memory: 2 ** 53 - 1, cpu: { topology: { cores: 2 ** 31 - 1, sockets: -(2 ** 31) } } })
      expect(text).toContain("<memory>9007199254740991</memory>")
      expect(text).toContain("<cores>2147483647</cores>")
      expect(text).toContain("<sockets>-2147483648</sockets>")
      // Ticket.expiry is an xs:unsignedInt
      expect(yield* Xml.encode(Types.Ticket)({ expiry: 4294967295 })).toBe("<ticket><expiry>4294967295</expiry></ticket>")
      const negative = yield* Effect.flip(Xml.encode(Types.Ticket)({ expiry: -1 }))
      expect(negative.message).toContain("0..4294967295 (xs:unsignedInt)")
    })
  )
})

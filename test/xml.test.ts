/**
 * The XML codec on hand-written documents: roots, attributes, every primitive format, enums, lists,
 * list links, unknowns and strict mode, entities, malformed XML and the DOCTYPE bomb; the writer's
 * exact output and its refusals.
 */
import { Effect, Either, Exit } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "@effect/vitest"
import { DecodeError, InvalidInputError } from "../src/core/Errors.js"
import * as Xml from "../src/types/Xml.js"
import * as Types from "../src/types/index.js"

const decode = (text: string, options?: Xml.DecodeOptions): unknown => Effect.runSync(Xml.decode(text, options))

/** The failure of `effect`, which must fail with an instance of `type`. */
const failureOf = <E>(effect: Effect.Effect<unknown, E>, type: new (...args: never) => E): E => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) throw new Error(`expected a ${type.name}, got ${JSON.stringify(exit.value)}`)
  if (exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${exit.cause._tag}`)
  expect(exit.cause.error).toBeInstanceOf(type)
  return exit.cause.error
}

const decodeError = (effect: Effect.Effect<unknown, DecodeError>): DecodeError => failureOf(effect, DecodeError)

const inputError = (effect: Effect.Effect<unknown, InvalidInputError>): InvalidInputError => failureOf(effect, InvalidInputError)

const vmWith = (inner: string): string => `<vm id="v1">${inner}</vm>`
const decodeVm = (inner: string, options?: Xml.DecodeOptions): Types.Vm => Effect.runSync(Xml.decodeAs(Types.Vm, options)(vmWith(inner)))

describe("roots", () => {
  it("reads an object by its root tag, with id and href attributes", () => {
    expect(decode('<vm id="123" href="/ovirt-engine/api/vms/123"><name>web</name></vm>')).toEqual({
      id: "123",
      href: "/ovirt-engine/api/vms/123",
      name: "web"
    })
  })

  it("gives plain objects and arrays", () => {
    const vms = decode('<vms><vm id="1"><cpu><topology><cores>1</cores></topology></cpu><link rel="nics" href="/n"/></vm></vms>') as Array<Types.Vm>
    for (const value of [vms[0], vms[0].cpu, vms[0].cpu!.topology]) expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(Array.isArray(vms) && Array.isArray(vms[0].nics)).toBe(true)
    expect(JSON.parse(JSON.stringify(vms[0]))).toEqual({ id: "1", cpu: { topology: { cores: 1 } }, nics: [] })
  })

  it("reads a collection as an array, empty ones too", () => {
    expect(decode('<vms><vm id="1"/><vm id="2"><name>b</name></vm></vms>')).toEqual([{ id: "1" }, { id: "2", name: "b" }])
    expect(decode("<vms/>")).toEqual([])
    expect(decode("<vms>\n</vms>")).toEqual([])
  })

  it("reads <action>, <fault> and <api>", () => {
    expect(
      decode(`<action><status>failed</status><fault><reason>Operation Failed</reason><detail>[Cannot start VM]</detail></fault>
        <job id="j1" href="/ovirt-engine/api/jobs/j1"/></action>`)
    ).toEqual({
      status: "failed",
      fault: { reason: "Operation Failed", detail: "[Cannot start VM]" },
      job: { id: "j1", href: "/ovirt-engine/api/jobs/j1" }
    })
    expect(decode("<fault><reason>Not Found</reason></fault>")).toEqual({ reason: "Not Found" })
    expect(decode("<api><product_info><name>oVirt Engine</name></product_info></api>")).toEqual({ productInfo: { name: "oVirt Engine" } })
  })

  it("fails on a root tag that is not a model type", () => {
    const error = decodeError(Xml.decode("<virtual_machine><name>x</name></virtual_machine>"))
    expect(error.message).toContain("unknown root element <virtual_machine>")
    expect(error.element).toBe("/virtual_machine")
  })

  it("decodeAs and decodeListAs check the root tag", () => {
    expect(Effect.runSync(Xml.decodeAs(Types.Host)('<host id="h"/>'))).toEqual({ id: "h" })
    expect(decodeError(Xml.decodeAs(Types.Vm)("<fault><reason>x</reason></fault>")).message).toContain("expected a <vm> document")
    expect(Effect.runSync(Xml.decodeListAs(Types.HostNic)('<host_nics><host_nic id="n"/></host_nics>'))).toEqual([{ id: "n" }])
    expect(decodeError(Xml.decodeListAs(Types.Vm)('<vm id="1"/>')).message).toContain("expected a <vms> document")
    expect(Effect.runSync(Xml.decodeAs(Types.Vm, { tag: "template_vm" })('<template_vm id="1"/>'))).toEqual({ id: "1" })
  })

  it("reads typed attributes: Vlan's integer id", () => {
    expect(decode('<vlan id="42"/>')).toEqual({ id: 42 })
  })
})

describe("primitives", () => {
  it("booleans: true/false in any case, 1/0, surrounding whitespace", () => {
    const values = ["true", "false", "TRUE", "False", "1", "0", " true\n"].map((t) => decodeVm(`<stateless>${t}</stateless>`).stateless)
    expect(values).toEqual([true, false, true, false, true, false, true])
  })

  it("a bad boolean fails with the element path and the text", () => {
    const error = decodeError(Xml.decode(vmWith("<stateless>yes</stateless>")))
    expect(error.element).toBe("/vm/stateless")
    expect(error.text).toBe("yes")
  })

  it("integers: negative, 64-bit sizes, leading +, whitespace", () => {
    expect(decodeVm("<migration_downtime>-1</migration_downtime>").migrationDowntime).toBe(-1)
    expect(decodeVm("<memory>1099511627776000</memory>").memory).toBe(1099511627776000)
    expect(decodeVm("<memory>9007199254740991</memory>").memory).toBe(9007199254740991)
    expect(decodeVm("<memory>+42</memory>").memory).toBe(42)
    expect(decodeVm("<memory>\n  1024\n</memory>").memory).toBe(1024)
  })

  it("malformed integers fail with the element path and the text", () => {
    for (const bad of ["abc", "1.5", "", "-", "1e3", "12 34", "9".repeat(400), `-${"9".repeat(400)}`]) {
      const error = decodeError(Xml.decode(`<vms><vm/><vm>${"<memory>" + bad + "</memory>"}</vm></vms>`))
      expect(error.element).toBe("/vms/vm[2]/memory")
      // long texts are shortened in errors
      expect(error.text).toBe(bad.length > 200 ? `${bad.slice(0, 197)}...` : bad)
    }
  })

  it("decimals", () => {
    const values = ["0.5", "-1.25", "3", ".5", "1e-3", "2."].map(
      (t) => (decode(`<statistic><values><value><datum>${t}</datum></value></values></statistic>`) as Types.Statistic).values![0].datum
    )
    expect(values).toEqual([0.5, -1.25, 3, 0.5, 0.001, 2])
    for (const bad of ["1,5", "1e400", "-1e400"]) {
      const error = decodeError(Xml.decode(`<statistic><values><value><datum>${bad}</datum></value></values></statistic>`))
      expect(error.element).toBe("/statistic/values/value[1]/datum")
      expect(error.text).toBe(bad)
    }
  })

  it("negative zero reads as 0", () => {
    expect(Object.is(decodeVm("<memory>-0</memory>").memory, 0)).toBe(true)
    expect(Object.is(decodeVm(`<memory>-${"0".repeat(20)}</memory>`).memory, 0)).toBe(true)
    const datum = (decode("<statistic><values><value><datum>-0.0</datum></value></values></statistic>") as Types.Statistic).values![0].datum
    expect(Object.is(datum, 0)).toBe(true)
  })

  it("dates: Z, offsets, fractions of any length, no zone as UTC", () => {
    const at = (t: string) => decodeVm(`<creation_time>${t}</creation_time>`).creationTime!.toISOString()
    expect(at("2016-10-06T15:38:18.548+02:00")).toBe("2016-10-06T13:38:18.548Z")
    expect(at("2016-10-06T15:38:18Z")).toBe("2016-10-06T15:38:18.000Z")
    expect(at("2016-10-06T15:38:18.5-05:30")).toBe("2016-10-06T21:08:18.500Z")
    expect(at("2016-10-06T15:38:18.123456789+00:00")).toBe("2016-10-06T15:38:18.123Z")
    expect(at("2016-10-06T15:38:18")).toBe("2016-10-06T15:38:18.000Z")
    expect(at("2016-12-31T24:00:00Z")).toBe("2017-01-01T00:00:00.000Z")
    expect(at("0099-01-01T00:00:00Z")).toBe("0099-01-01T00:00:00.000Z")
  })

  it("dates outside years 0-9999 are written as xs:dateTime spells them, and read back", () => {
    for (const [iso, wire] of [
      ["+010000-01-01T00:00:00.000Z", "10000-01-01T00:00:00.000Z"],
      ["+275760-09-13T00:00:00.000Z", "275760-09-13T00:00:00.000Z"],
      ["-000001-06-01T12:00:00.000Z", "-0001-06-01T12:00:00.000Z"],
      ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"]
    ] as const) {
      const written = Effect.runSync(Xml.encode(Types.Vm)({ creationTime: new Date(iso) }))
      expect(written).toBe(`<vm><creation_time>${wire}</creation_time></vm>`)
      expect(decodeVm(`<creation_time>${wire}</creation_time>`).creationTime!.toISOString()).toBe(iso)
    }
  })

  it("bad dates fail with the element path and the text", () => {
    for (const bad of ["xxx", "2016-13-01T00:00:00Z", "2016-02-30T00:00:00Z", "2016-10-06", "2016-10-06T25:00:00Z", "2016-10-06T10:00:00+15:00", "999999-01-01T00:00:00Z"]) {
      const error = decodeError(Xml.decode(vmWith(`<creation_time>${bad}</creation_time>`)))
      expect(error.element).toBe("/vm/creation_time")
      expect(error.text).toBe(bad)
    }
  })

  it("strings keep their text: entities, character references, CDATA, non-ASCII, whitespace", () => {
    const vm = decodeVm(
      "<description> a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x4E2D;&#x1F600; Löschbarer Testrechner – München </description>" +
        "<comment><![CDATA[<not> & markup]]></comment><name></name>"
    )
    expect(vm.description).toBe(" a & b <c> \"d\" 'e' é中😀 Löschbarer Testrechner – München ")
    expect(vm.comment).toBe("<not> & markup")
    expect(vm.name).toBe("")
  })
})

describe("enums", () => {
  it("known values as their wire text", () => {
    expect(decodeVm("<status>powering_up</status>").status).toBe("powering_up")
  })

  it("unknown values are kept, reported, and fail in strict mode", () => {
    const unknown: Array<string> = []
    expect(decodeVm("<status>hibernating_v9</status>", { onUnknown: (p, what) => unknown.push(`${p}: ${what}`) }).status).toBe("hibernating_v9")
    expect(unknown).toEqual(["/vm/status: unknown VmStatus value 'hibernating_v9'"])
    expect(decodeError(Xml.decode(vmWith("<status>hibernating_v9</status>"), { strict: true })).element).toBe("/vm/status")
  })
})

describe("lists", () => {
  it("struct lists, primitive and enum lists, nested lists", () => {
    const vm = decodeVm(`
      <nics><nic id="n1"><name>eth0</name></nic><nic id="n2"/></nics>
      <os><boot><devices><device>hd</device><device>network</device></devices></boot></os>
      <sso><methods><method id="guest_agent"/></methods></sso>
      <numa_tune_mode>interleave</numa_tune_mode>`)
    expect(vm.nics).toEqual([{ id: "n1", name: "eth0" }, { id: "n2" }])
    expect(vm.os!.boot!.devices).toEqual(["hd", "network"])
    expect(vm.sso!.methods).toEqual([{ id: "guest_agent" }])
    const host = decode(`<host><nics><host_nic id="a"><ip><address>10.0.0.1</address></ip>
        <properties><property><name>p</name><value>1</value></property></properties></host_nic></nics></host>`) as Types.Host
    expect(host.nics![0].properties).toEqual([{ name: "p", value: "1" }])
    const cluster = decode("<cluster><required_rng_sources><required_rng_source>urandom</required_rng_source></required_rng_sources></cluster>")
    expect(cluster).toEqual({ requiredRngSources: ["urandom"] })
    expect(decodeVm("<nics/>").nics).toEqual([])
  })

  it("list links not inlined: an empty list carrying href, model and server rels", () => {
    const vm = decodeVm('<link rel="diskattachments" href="/ovirt-engine/api/vms/v1/diskattachments"/><link rel="nics" href="/n"/>')
    expect(vm.diskAttachments!.length).toBe(0)
    expect(vm.diskAttachments!.href).toBe("/ovirt-engine/api/vms/v1/diskattachments")
    expect(vm.nics!.href).toBe("/n")
    const volume = decode('<gluster_volume><link rel="glusterbricks" href="/b"/></gluster_volume>') as Types.GlusterVolume
    expect(volume.bricks!.href).toBe("/b")
    const host = decode('<host><link rel="fenceagents" href="/f"/><link rel="agents" href="/g"/></host>') as Types.Host
    expect(host.agents!.href).toBe("/f")
  })

  it("an inlined list wins over its link, whatever the order", () => {
    const vm = decodeVm('<nics><nic id="n1"/></nics><link rel="nics" href="/n"/>')
    expect(vm.nics).toEqual([{ id: "n1" }])
    expect(vm.nics!.href).toBeUndefined()
  })

  it("unknown link rels are reported", () => {
    const unknown: Array<string> = []
    decodeVm('<link rel="backups" href="/b"/>', { onUnknown: (p, what) => unknown.push(`${p}: ${what}`) })
    expect(unknown).toEqual(["/vm/link: unknown link rel='backups' for Vm"])
  })
})

describe("unknown elements and attributes", () => {
  const text = vmWith('<name>a</name><future_member><x>1</x></future_member><memory unit="bytes">5</memory><cluster id="c" color="red"/>')

  it("are skipped and reported with their path", () => {
    const unknown: Array<string> = []
    const vm = Effect.runSync(Xml.decodeAs(Types.Vm, { onUnknown: (p) => unknown.push(p) })(text))
    expect(vm).toEqual({ id: "v1", name: "a", memory: 5, cluster: { id: "c" } })
    expect(unknown).toEqual(["/vm/future_member", "/vm/memory/@unit", "/vm/cluster/@color"])
  })

  it("fail the decode in strict mode", () => {
    const error = decodeError(Xml.decodeAs(Types.Vm, { strict: true })(text))
    expect(error.element).toBe("/vm/future_member")
  })

  it("the server's <actions> block is skipped silently, strict or not", () => {
    const unknown: Array<string> = []
    const vm = decodeVm('<actions><link href="/vms/v1/start" rel="start"/><link href="/vms/v1/stop" rel="stop"/></actions><name>a</name>', {
      strict: true,
      onUnknown: (p) => unknown.push(p)
    })
    expect(vm).toEqual({ id: "v1", name: "a" })
    expect(unknown).toEqual([])
  })

  it("a member given twice: the last one wins, it is reported, and strict mode refuses it", () => {
    const twice = vmWith('<name>a</name><cluster id="c1"/><name>b</name><cluster id="c2"/>')
    expect(decodeVm('<name>a</name><cluster id="c1"/><name>b</name><cluster id="c2"/>')).toEqual({ id: "v1", name: "b", cluster: { id: "c2" } })
    const unknown: Array<string> = []
    Effect.runSync(Xml.decodeAs(Types.Vm, { onUnknown: (p, what) => unknown.push(`${p}: ${what}`) })(twice))
    expect(unknown).toEqual(["/vm/name: repeated element of Vm", "/vm/cluster: repeated element of Vm"])
    expect(decodeError(Xml.decodeAs(Types.Vm, { strict: true })(twice)).element).toBe("/vm/name")
  })
})

describe("malformed documents", () => {
  it.each([
    ["mismatched tags", "<vm><name>x</nam></vm>", "does not match"],
    ["an unclosed element", "<vm><name>x</name>", "unexpected end of document"],
    ["two roots", "<vm/><vm/>", "second root"],
    ["an unknown entity", "<vm><name>&nbsp;</name></vm>", "unknown entity"],
    // names of Object.prototype's members are entities like any other unknown one
    ["&constructor;", "<vm><name>&constructor;</name></vm>", "unknown entity &constructor;"],
    ["&__proto__;", "<vm><name>&__proto__;</name></vm>", "unknown entity &__proto__;"],
    ["&toString; in an attribute", '<vm id="&toString;"/>', "unknown entity &toString;"],
    ["a bare ampersand", "<vm><name>a & b</name></vm>", "'&'"],
    ["text only", "hello", "text outside the root element"],
    ["an empty document", "", "no root element"]
  ])("fails on %s", (_, text, message) => {
    const error = decodeError(Xml.decode(text))
    expect(error.message).toContain("malformed XML")
    expect(error.message).toContain(message)
  })

  it("refuses a DOCTYPE entity bomb without expanding it", () => {
    const entities = Array.from({ length: 10 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join("\n")
    const bomb = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${entities}\n]>\n<vm><name>&lol10;</name></vm>`
    const error = decodeError(Xml.decode(bomb))
    expect(error.message).toContain("DOCTYPE is not supported")
    expect(error.message).toContain("at character 22")
  })

  it("names where the error is", () => {
    const error = decodeError(Xml.decode("<vms><vm><name>a</name></vm><vm><cpu><topology></cpu></vm></vms>"))
    expect(error.element).toBe("/vms/vm[2]/cpu/topology")
  })
})

describe("writer", () => {
  it("writes what the engine expects: model names and order, id attributes, escaped text; href only in documents", () => {
    const vm: Types.Vm = {
      id: "1",
      href: "/ovirt-engine/api/vms/1",
      name: 'a&b <c> "d"',
      memory: 1073741824,
      cluster: { name: "Default" },
      highAvailability: { enabled: true, priority: -1 },
      creationTime: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)),
      os: { boot: { devices: ["hd", "network"] } },
      nics: [{ name: "nic1" }]
    }
    // a field present but undefined (possible from JavaScript) is unset too
    const members =
      '<name>a&amp;b &lt;c&gt; "d"</name>' +
      "<creation_time>2020-01-02T03:04:05.006Z</creation_time>" +
      "<high_availability><enabled>true</enabled><priority>-1</priority></high_availability>" +
      "<memory>1073741824</memory><os><boot><devices><device>hd</device><device>network</device></devices></boot></os>" +
      "<cluster><name>Default</name></cluster><nics><nic><name>nic1</name></nic></nics></vm>"
    // a request body (the default): the engine reads no href
    expect(Effect.runSync(Xml.encode(Types.Vm)({ ...vm, description: undefined } as unknown as Types.Vm))).toBe(`<vm id="1">${members}`)
    // a document, as the engine writes its answers
    expect(Effect.runSync(Xml.encode(Types.Vm, { mode: "document" })(vm))).toBe(`<vm id="1" href="/ovirt-engine/api/vms/1">${members}`)
  })

  it("writes actions, empty objects, list links and collections", () => {
    expect(Effect.runSync(Xml.encode(Types.Action)({ async: true, useCloudInit: false, vm: { id: "1" } }))).toBe(
      '<action><async>true</async><use_cloud_init>false</use_cloud_init><vm id="1"/></action>'
    )
    expect(Effect.runSync(Xml.encode(Types.Action)({}))).toBe("<action/>")
    // a list link (not inlined) is only a pointer: a request leaves it out (an empty <nics/> would clear
    // the list), a document keeps it
    const linked = Effect.runSync(Xml.decodeAs(Types.Vm)('<vm href="/v"><name>a</name><link rel="nics" href="/n"/><actions><link rel="start" href="/v/start"/></actions></vm>'))
    expect(Effect.runSync(Xml.encode(Types.Vm)(linked))).toBe("<vm><name>a</name></vm>")
    expect(Effect.runSync(Xml.encode(Types.Vm, { mode: "document" })(linked))).toBe('<vm href="/v"><name>a</name><link href="/n" rel="nics"/></vm>')
    // an empty list that is no link is still written: it sets the list to empty
    expect(Effect.runSync(Xml.encode(Types.Vm)({ nics: [] }))).toBe("<vm><nics/></vm>")
    expect(Effect.runSync(Xml.encodeList(Types.Vm)([{ id: "1" }, { name: "x" }]))).toBe('<vms><vm id="1"/><vm><name>x</name></vm></vms>')
    expect(Effect.runSync(Xml.encode(Types.Vm, { tag: "template_vm" })({ id: "1" }))).toBe('<template_vm id="1"/>')
  })

  it("escapes attributes and keeps carriage returns through a round trip", () => {
    const text = Effect.runSync(Xml.encode(Types.Vm)({ id: 'a"<&\n', description: "line1\r\nline2" }))
    expect(text).toBe('<vm id="a&quot;&lt;&amp;&#10;"><description>line1&#13;\nline2</description></vm>')
    expect(decode(text)).toEqual({ id: 'a"<&\n', description: "line1\r\nline2" })
  })

  it("treats every character alike in short and long strings (short ones are scanned by a loop, long ones by a regular expression)", () => {
    const body = (text: string): string => {
      const written = Effect.runSync(Effect.either(Xml.encode(Types.Vm)({ id: text, name: text })))
      return Either.isLeft(written) ? `refused: ${written.left.message}` : written.right
    }
    const pad = "x".repeat(70)
    const shown = new Set<string>()
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c)
      const short = body(`a${ch}b`)
      const long = body(`${pad}a${ch}b`)
      expect(long.replaceAll(pad, "")).toBe(short)
      if (c < 0x40 || (c >= 0xd7ff && c <= 0xe000) || c >= 0xfffd) shown.add(short)
    }
    // the characters that matter: escaped in text and in attributes, or refused
    expect(body("a<b>&\"c")).toBe('<vm id="a&lt;b&gt;&amp;&quot;c"><name>a&lt;b&gt;&amp;"c</name></vm>')
    expect(body("a\ud800b")).toMatch(/^refused: vm\.id holds a character XML cannot carry/)
    expect(body("a\ud83d\ude00b")).toBe('<vm id="a\ud83d\ude00b"><name>a\ud83d\ude00b</name></vm>')
    expect(body("a\ufffeb")).toMatch(/^refused/)
    expect(body("a\tb")).toBe('<vm id="a&#9;b"><name>a\tb</name></vm>')
    expect(shown.size).toBeGreaterThan(5)
  })

  it("writes numbers without exponents", () => {
    expect(Effect.runSync(Xml.encode(Types.Value)({ datum: 1e21 }))).toBe("<value><datum>1000000000000000000000</datum></value>")
    expect(Effect.runSync(Xml.encode(Types.Value)({ datum: 1e-7 }))).toBe("<value><datum>0.0000001</datum></value>")
  })

  it("refuses values that do not fit the model, naming the member", () => {
    const bad = (value: unknown) => inputError(Xml.encode(Types.Vm)(value as Types.Vm))
    expect(bad({ memory: "big" }).paths).toEqual(["vm.memory"])
    expect(bad({ memory: 1.5 }).paths).toEqual(["vm.memory"])
    expect(bad({ memory: 1e21 }).paths).toEqual(["vm.memory"])
    expect(bad({ stateless: "true" }).paths).toEqual(["vm.stateless"])
    expect(bad({ creationTime: new Date(NaN) }).paths).toEqual(["vm.creationTime"])
    expect(bad({ nics: [{ name: 1 }] }).paths).toEqual(["vm.nics[0].name"])
    expect(bad({ nics: { name: "x" } }).paths).toEqual(["vm.nics"])
    expect(bad({ cluster: "Default" }).paths).toEqual(["vm.cluster"])
    expect(bad({ nmae: "typo" }).paths).toEqual(["vm.nmae"])
    // an unknown field is reported before a bad member, wherever either is, as if checked first
    expect(bad({ memory: "big", nmae: "typo" }).paths).toEqual(["vm.nmae"])
    expect(bad({ name: "ok", nics: [{ name: "a" }, { name: 1, nmae: "typo" }] }).paths).toEqual(["vm.nics[1].nmae"])
    expect(bad({ cluster: { name: "Default", nmae: "typo" }, memory: 1 }).paths).toEqual(["vm.cluster.nmae"])
    expect(bad({ name: "bell\u0007" }).paths).toEqual(["vm.name"])
    expect(bad(null).paths).toEqual(["vm"])
  })

  it("refuses a value that contains itself, or nests deeper than any engine document, instead of overflowing", () => {
    const tag: { name: string; parent?: unknown } = { name: "loop" }
    tag.parent = { name: "middle", parent: tag }
    const cycle = inputError(Xml.encode(Types.Tag)(tag as Types.Tag))
    expect(cycle.paths).toEqual(["tag.parent.parent"])
    expect(cycle.message).toContain("contains itself")
    let deep: Types.Tag = { name: "leaf" }
    for (let i = 0; i < 10_000; i++) deep = { name: `t${i}`, parent: deep }
    expect(inputError(Xml.encode(Types.Tag)(deep)).message).toContain("nests deeper than 100 levels")
    // the same value twice side by side is not a cycle
    const shared = { id: "c1" }
    expect(Effect.runSync(Xml.encode(Types.Vm)({ cluster: shared, template: shared }))).toBe('<vm><cluster id="c1"/><template id="c1"/></vm>')
  })
})

describe("robustness", () => {
  it("reads correctly after a hostile document has filled the name table", () => {
    const junk = Array.from({ length: 20_000 }, (_, i) => `<junk_${i}/>`).join("")
    let unknown = 0
    const vm = decodeVm(`${junk}<name>after</name><cpu><topology><cores>2</cores></topology></cpu><never_seen_before>1</never_seen_before>`, {
      onUnknown: () => unknown++
    })
    expect(vm).toEqual({ id: "v1", name: "after", cpu: { topology: { cores: 2 } } })
    expect(unknown).toBe(20_001)
    expect(decodeVm("<memory>5</memory>").memory).toBe(5)
  })

  it("reads engine dates the same through the fast path and the general one", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2199-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.constantFrom("Z", "+00:00", "+02:00", "-05:30", "+14:00", ""),
        fc.constantFrom("", ".5", ".12", ".123", ".123456"),
        (date, zone, fraction) => {
          const iso = date.toISOString().slice(0, 19)
          const text = `${iso}${fraction}${zone}`
          const offset = zone === "Z" || zone === "" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)))
          const millis = fraction === "" ? 0 : Number(fraction.slice(1, 4).padEnd(3, "0"))
          const expected = Date.parse(`${iso}Z`) + millis - offset * 60_000
          expect(decodeVm(`<creation_time>${text}</creation_time>`).creationTime!.getTime()).toBe(expected)
          // a leading space sends it through the general (regex) path
          expect(decodeVm(`<creation_time> ${text}</creation_time>`).creationTime!.getTime()).toBe(expected)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("writes any valid Vm-like value so that it reads back the same", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(s))
    const vmArb = fc.record(
      {
        id: text,
        name: text,
        description: text,
        memory: fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        stateless: fc.boolean(),
        status: fc.constantFrom("up", "down", "some_future_status"),
        creationTime: fc.date({ min: new Date("1000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        cpu: fc.record({ topology: fc.record({ cores: fc.nat(), sockets: fc.nat() }, { requiredKeys: [] }) }, { requiredKeys: [] }),
        nics: fc.array(fc.record({ id: text, name: text }, { requiredKeys: [] }), { maxLength: 3 }),
        os: fc.record({ boot: fc.record({ devices: fc.array(fc.constantFrom("hd", "cdrom", "network"), { maxLength: 3 }) }) }),
        customProperties: fc.array(fc.record({ name: text, value: text }), { maxLength: 2 })
      },
      { requiredKeys: [] }
    )
    fc.assert(
      fc.property(vmArb, (vm) => {
        const written = Effect.runSync(Xml.encode(Types.Vm)(vm as Types.Vm))
        expect(Effect.runSync(Xml.decodeAs(Types.Vm)(written))).toEqual(vm)
      }),
      { numRuns: 300 }
    )
  })
})

describe("synchronous helpers", () => {
  it("return an Either: the value, or a DecodeError / InvalidInputError as Left, never a throw", () => {
    expect(Xml.decodeStructSync("Vm", `<vm id="1"><name>a</name></vm>`)).toEqual(Either.right({ id: "1", name: "a" }))
    const broken = Xml.decodeStructSync("Vm", "<vm><name>a</vm>")
    expect(Either.isLeft(broken) && broken.left).toBeInstanceOf(DecodeError)
    const unknownType = Xml.decodeListSync("NoSuchType", "<x/>")
    expect(Either.isLeft(unknownType) && unknownType.left.message).toBe("no XML metadata for type NoSuchType")
    expect(Xml.encodeStructSync("Vm", { name: "a" })).toEqual(Either.right("<vm><name>a</name></vm>"))
    const bad = Xml.encodeStructSync("Vm", { memory: "lots" })
    expect(Either.isLeft(bad) && bad.left).toMatchObject({ _tag: "InvalidInputError", paths: ["vm.memory"] })
    const decoder = Either.getOrThrow(Xml.ListDecoder.make("Vm"))
    expect(decoder.write(`<vms><vm id="1"/><vm id="2"><memory>x</memory>`)).toMatchObject({ _tag: "Left", left: { _tag: "DecodeError" } })
    expect(decoder.take()).toEqual([{ id: "1" }])
  })
})

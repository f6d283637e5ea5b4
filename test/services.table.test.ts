/**
 * Every method of every service of ../shared/ovirt-api/model.json, called through the ref tree (reached
 * with `service(path)`) against a recording HTTPS server: the verb, path, query string and body root
 * element sent are what the model says, and a canned answer written here from the model (not by the
 * codec) decodes to the declared result shape. Every locator is checked too: `service(path)` and the
 * property path give the same ref.
 */
import { Effect, Either, Equal, ManagedRuntime, Stream } from "effect"
import { describe, expect, it } from "@effect/vitest"
import * as Connection from "../src/services/Connection.js"
import * as Services from "../src/services/generated/index.js"
import { service, system } from "../src/services/index.js"
import type { ServiceRef } from "../src/services/index.js"
import { loadModel, type Member, type Method, type Parameter, type Service, type Struct } from "./support/model.js"
import { sharedScriptedEngine } from "./support/scripted.js"
import type { RecordedRequest, TestServer } from "./support/TestServer.js"

// ---------------------------------------------------------------------------------------------
// the model, read as plain JSON (its README is the spec)

const { present, model } = loadModel("the services table test")

const structs = new Map(model.structs.map((s) => [s.name, s]))
const enums = new Map(model.enums.map((e) => [e.name, e]))
const servicesByName = new Map(model.services.map((s) => [s.name, s]))

const membersOf = (name: string): ReadonlyArray<Member> => {
  const out: Array<Member> = []
  for (let s = structs.get(name); s !== undefined; s = s.base === null ? undefined : structs.get(s.base)) {
    out.unshift(...s.attributes, ...s.links)
  }
  return out
}

const camel = (words: ReadonlyArray<string>): string =>
  words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join("")

// ---------------------------------------------------------------------------------------------
// inputs: a sample value per type, and values that meet the constraints

const sampleText = "a b&c=d/é"

const sample = (type: string, kind: Parameter["typeKind"]): unknown => {
  if (kind === "enum") return enums.get(type)?.values[0]?.name
  if (kind === "struct") return {}
  switch (type) {
    case "String":
      return sampleText
    case "Boolean":
      return true
    case "Integer":
      return 3
    case "Decimal":
      return 1.5
    case "Date":
      return new Date(Date.UTC(2020, 0, 2, 3, 4, 5))
  }
  throw new Error(`no sample for ${type}`)
}

const wireText = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : typeof value === "boolean" ? (value ? "true" : "false") : String(value)

/** Sets `path` (member names, `[]` into lists) below `root` (of struct `type`) to sample values. */
const setPath = (root: Record<string, unknown>, type: string, segments: ReadonlyArray<string>): void => {
  let target = root
  let current = type
  segments.forEach((raw, i) => {
    const name = raw.endsWith("[]") ? raw.slice(0, -2) : raw
    const member = membersOf(current).find((m) => m.name === name)
    if (member === undefined) throw new Error(`${current} has no member ${name}`)
    const list = member.list
    const last = i === segments.length - 1
    if (last && member.typeKind !== "struct") {
      target[name] = list ? [sample(member.type, member.typeKind)] : sample(member.type, member.typeKind)
      return
    }
    if (list) {
      const items = (target[name] ??= [{}]) as Array<Record<string, unknown>>
      target = items[0] as Record<string, unknown>
    } else {
      target = (target[name] ??= {}) as Record<string, unknown>
    }
    current = member.type
  })
}

/** The call's input: every `in` parameter set, structs holding what the constraints want. */
const inputsOf = (s: Service, m: Method): Record<string, unknown> => {
  const input: Record<string, unknown> = {}
  for (const p of m.parameters.filter((q) => q.in)) {
    const one = sample(p.type, p.typeKind)
    input[p.name] = p.list ? [one] : one
  }
  const base = m.signatureOf === undefined ? undefined : s.methods.find((b) => b.name === m.signatureOf)
  // an add with alternative signatures is sent when its input satisfies one of them: the first one
  const first = m.kind === "add" && m.signatureOf === undefined ? s.methods.find((a) => a.signatureOf === m.name) : undefined
  const paths = [m.constraints, base?.constraints, first?.constraints].flatMap((c) => [
    ...(c?.mandatory ?? []),
    ...(c?.or ?? []).filter((g) => g.mandatory).map((g) => g.paths[0] as string)
  ])
  for (const p of paths) {
    const [head, ...rest] = p.split(".")
    const name = (head as string).replace(/\[\]$/, "")
    const param = m.parameters.find((q) => q.name === name)
    if (param === undefined) throw new Error(`${s.name}.${m.name}: constraint ${p} names no parameter`)
    if (rest.length === 0) continue
    const value = param.list ? (input[name] as Array<Record<string, unknown>>)[0] : input[name]
    setPath(value as Record<string, unknown>, param.type, rest)
  }
  return input
}

// ---------------------------------------------------------------------------------------------
// answers: minimal XML of the response type, and what it must decode to

interface Canned {
  readonly xml: string
  readonly check: (result: unknown) => void
}

/** A minimal element of struct `type` named `tag`: an `id` attribute, or one string member. */
const structXml = (type: string, tag: string, n: number): Canned => {
  const members = membersOf(type)
  const id = members.find((m) => m.name === "id" && m.xmlAttribute && m.type === "String")
  if (id !== undefined) {
    return { xml: `<${tag} id="id-${n}"/>`, check: (r) => expect((r as { id?: unknown }).id).toBe(`id-${n}`) }
  }
  const text = members.find((m) => m.type === "String" && !m.list && !m.xmlAttribute)
  if (text !== undefined) {
    return {
      xml: `<${tag}><${text.xml}>text-${n}</${text.xml}></${tag}>`,
      check: (r) => expect((r as Record<string, unknown>)[text.name]).toBe(`text-${n}`)
    }
  }
  return { xml: `<${tag}/>`, check: (r) => expect(typeof r).toBe("object") }
}

const answerOf = (s: Service, m: Method): Canned => {
  if (m.kind === "remove") return { xml: "", check: (r) => expect(r).toBeUndefined() }
  if (m.kind === "action") {
    const out = m.parameters.find((p) => p.out)
    if (out === undefined) return { xml: "<action><status>complete</status></action>", check: (r) => expect(r).toBeUndefined() }
    const member = membersOf("Action").find((a) => a.name === m.actionResultMember)
    if (member === undefined) throw new Error(`${s.name}.${m.name}: Action has no ${m.actionResultMember}`)
    let inner: Canned
    if (member.list) {
      const item = member.xmlItem as string
      const one =
        member.typeKind === "struct" ? structXml(member.type, item, 1) : { xml: `<${item}>t1</${item}>`, check: (v: unknown) => expect(v).toBe("t1") }
      inner = {
        xml: `<${member.xml}>${one.xml}</${member.xml}>`,
        check: (r) => {
          expect(Array.isArray(r)).toBe(true)
          expect((r as ReadonlyArray<unknown>).length).toBe(1)
          one.check((r as ReadonlyArray<unknown>)[0])
        }
      }
    } else if (member.typeKind === "struct") {
      inner = structXml(member.type, member.xml, 1)
    } else if (member.type === "Boolean") {
      inner = { xml: `<${member.xml}>true</${member.xml}>`, check: (r) => expect(r).toBe(true) }
    } else {
      inner = { xml: `<${member.xml}>out-1</${member.xml}>`, check: (r) => expect(r).toBe("out-1") }
    }
    return { xml: `<action><status>complete</status>${inner.xml}</action>`, check: inner.check }
  }
  const response = m.parameters.find((p) => p.name === m.responseParameter) as Parameter
  const struct = structs.get(response.type) as Struct
  if (m.kind === "list" || response.list) {
    const a = structXml(struct.name, struct.xml, 1)
    const b = structXml(struct.name, struct.xml, 2)
    return {
      xml: `<${m.responseTag}>${a.xml}${b.xml}</${m.responseTag}>`,
      check: (r) => {
        expect(Array.isArray(r)).toBe(true)
        expect((r as ReadonlyArray<unknown>).length).toBe(2)
        a.check((r as ReadonlyArray<unknown>)[0])
        b.check((r as ReadonlyArray<unknown>)[1])
      }
    }
  }
  return structXml(struct.name, m.responseTag as string, 1)
}

// ---------------------------------------------------------------------------------------------
// where each service lives: the first path found walking the locators from the root

const idValue = "x y/1"

const pathsOf = (): ReadonlyMap<string, string> => {
  const found = new Map<string, string>([[model.root, ""]])
  const queue = [model.root]
  while (queue.length > 0) {
    const name = queue.shift() as string
    const at = found.get(name) as string
    for (const l of servicesByName.get(name)?.locators ?? []) {
      if (found.has(l.service)) continue
      const segment = l.parameters.length === 0 ? l.path : encodeURIComponent(idValue)
      found.set(l.service, at === "" ? segment : `${at}/${segment}`)
      queue.push(l.service)
    }
  }
  return found
}

// ---------------------------------------------------------------------------------------------

const rootTag = (body: string): string | undefined => /^\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z_][\w.-]*)/.exec(body)?.[1]

describe.skipIf(!present)("every method of every service, through the ref tree", () => {
  let server: TestServer
  let runtime: ManagedRuntime.ManagedRuntime<Connection.Connection, unknown>
  let answer: { status: number; body: string } = { status: 200, body: "" }

  sharedScriptedEngine("table-test-token", () => answer, (scripted) => void ({ server, runtime } = scripted))

  const paths = pathsOf()
  // services no locator leads to: abstract bases and the deprecated VmDisks/TemplateDisks services;
  // they are reached through their module's `ref(path)`
  const detached = model.services.filter((s) => !paths.has(s.name)).map((s) => s.name)
  const refOf = (name: string): ServiceRef => {
    const at = paths.get(name)
    if (at !== undefined) return Effect.runSync(service(at))
    const module = (Services as unknown as Record<string, { readonly ref: (path: string) => ServiceRef }>)[name]
    return (module as { readonly ref: (path: string) => ServiceRef }).ref(`detached/${name}`)
  }
  const pathOf = (name: string): string => paths.get(name) ?? `detached/${name}`

  it("reaches every service with a locator from the root", () => {
    expect(detached).toEqual([
      "CopyableService",
      "ExternalProviderService",
      "MeasurableService",
      "MoveableService",
      "TemplateDiskService",
      "TemplateDisksService",
      "VmDiskService",
      "VmDisksService"
    ])
    expect(paths.size + detached.length).toBe(288)
  })

  it.effect("gives the same ref by path and by property for every locator (336)", () =>
    Effect.gen(function* () {
      let checked = 0
      for (const s of model.services) {
        const at = paths.get(s.name)
        if (at === undefined) continue
        const ref = yield* service(at)
        expect(ref.service).toBe(s.name)
        for (const l of s.locators) {
          const member = (ref as unknown as Record<string, unknown>)[l.name]
          const byProperty = (l.parameters.length === 0 ? member : (member as (id: string) => unknown).call(ref, idValue)) as ServiceRef
          const segment = l.parameters.length === 0 ? l.path : encodeURIComponent(idValue)
          const byPath = yield* service(at === "" ? segment : `${at}/${segment}`)
          expect(byProperty.service).toBe(l.service)
          expect(Equal.equals(byPath, byProperty)).toBe(true)
          checked++
        }
      }
      const detachedLocators = model.services.filter((s) => detached.includes(s.name)).reduce((n, s) => n + s.locators.length, 0)
      expect(checked + detachedLocators).toBe(336)
    }))

  // real HTTPS on loopback: the live clock
  it.live("sends every method (706) as the model says and decodes a valid answer", () =>
    Effect.gen(function* () {
      const seen = { methods: 0, streams: 0 }
      for (const s of model.services) {
        const at = pathOf(s.name)
        for (const m of s.methods) {
          const where = `${s.name}.${m.name}`
          const name = camel(m.words)
          const input = inputsOf(s, m)
          const body = m.bodyParameter === null ? undefined : input[m.bodyParameter]
          const options: Record<string, unknown> = { ...input }
          if (m.bodyParameter !== null) delete options[m.bodyParameter]
          const canned = answerOf(s, m)
          answer = { status: (model.wire.successStatus[m.kind] as ReadonlyArray<number>)[0] as number, body: canned.xml }
          const before = server.requests.length

          const ref = refOf(s.name) as unknown as Record<string, (...args: Array<unknown>) => Effect.Effect<unknown, unknown, Connection.Connection>>
          const call = ref[name]
          expect(typeof call, `${where}: ref member ${name}`).toBe("function")
          const args = m.bodyParameter === null ? [options] : [body, options]
          const result = yield* Effect.either((call as (...a: Array<unknown>) => Effect.Effect<unknown, unknown, Connection.Connection>).apply(ref, args))
          if (Either.isLeft(result)) throw new Error(`${where}: ${JSON.stringify(result.left)}`)

          expect(server.requests.length, where).toBe(before + 1)
          const sent = server.requests[server.requests.length - 1] as RecordedRequest
          const url = new URL(sent.url, server.origin)
          expect(sent.method, where).toBe(m.http)
          const expectedPath = ["/ovirt-engine/api", at, m.path].filter((x) => x !== null && x !== "").join("/")
          expect(url.pathname, where).toBe(expectedPath)
          const expectedQuery = m.parameters
            .filter((p) => p.in && p.query !== null)
            .map((p) => `${p.query}=${wireText(input[p.name])}`)
            .sort()
          expect([...url.searchParams].map(([k, v]) => `${k}=${v}`).sort(), where).toEqual(expectedQuery)
          const structuredRemove = m.kind === "remove" && m.parameters.some((p) => p.in && p.query === null && p.typeKind === "struct")
          const expectedRoot = m.requestTag ?? (structuredRemove ? "action" : undefined)
          expect(rootTag(sent.body), where).toBe(expectedRoot)
          if (m.kind === "action") {
            for (const p of m.parameters.filter((q) => q.in && q.xml !== null)) {
              expect(sent.body, `${where}: <${p.xml}>`).toContain(`<${p.xml}`)
            }
          }
          canned.check(result.right)
          seen.methods++

          if (m.kind === "list") {
            const stream = ref[`${name}Stream`] as unknown as (o: unknown) => Stream.Stream<unknown, unknown, Connection.Connection>
            const items = yield* Stream.runCollect(stream.call(ref, options))
            canned.check([...items])
            seen.streams++
          }
        }
      }
      expect(seen.methods).toBe(706)
      expect(seen.streams).toBe(143)
    }).pipe(Effect.provide(runtime)))

  it("system is the root ref", () => {
    expect(system.path).toBe("")
    expect(system.service).toBe(model.root)
  })
})

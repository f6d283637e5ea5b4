/**
 * Lazy refs: a ref of a service whose module is not loaded yet. Its locators work without I/O and
 * without loading anything (they follow the shapes in ../generated/tree.ts); its methods load the
 * service's module on first use (a dynamic import, once per service) and call it. So importing the
 * root or one service module loads no other service module: a program pays for what it calls.
 */
import { Effect, Stream } from "effect"
import { shapes } from "../generated/tree.js"
import { childPath, idPath, type ServiceRef, ServiceRefBase } from "../ServiceRef.js"
import { type ServiceModule, type ServiceShapeText, shapeFromText } from "./Metadata.js"

type Member = (...args: Array<unknown>) => unknown

const modules = new Map<string, ServiceModule>()

// the module and the loader (the tree entry's first item) are looked up when the effect runs, not when it
// is made: an effect made before the module was loaded (and run many times, as `Effect.repeat` does) must
// not import it again on every run
const load = (service: string, entry: ServiceShapeText): Effect.Effect<ServiceModule> =>
  Effect.suspend(() => {
    const loaded = modules.get(service)
    if (loaded !== undefined) return Effect.succeed(loaded)
    return Effect.map(Effect.promise(entry[0]), (m) => {
      modules.set(service, m)
      return m
    })
  })

/** The generated module of `service` (loaded once, shared with the lazy refs), or undefined for a name not in the tree. */
export const moduleOf = (service: string): Effect.Effect<ServiceModule | undefined> => {
  const entry = shapes[service]
  return entry === undefined ? Effect.succeed(undefined) : load(service, entry)
}

/** The member `name` of the eager ref at `path`, from the loaded module. */
const eagerMember = (m: ServiceModule, path: string, name: string): Member => {
  const ref = m.ref(path) as unknown as Readonly<Record<string, Member>>
  return ref[name].bind(ref)
}

type RefClass = new (service: string, path: string) => ServiceRefBase
const classes = new Map<string, RefClass>()

const define = (proto: object, name: string, descriptor: PropertyDescriptor): void => {
  Object.defineProperty(proto, name, { ...descriptor, configurable: true, enumerable: false })
}

/** One class per service, made on first use from its shape (read from its text then). */
const classOf = (service: string): RefClass => {
  const made = classes.get(service)
  if (made !== undefined) return made
  const text = shapes[service]
  if (text === undefined) throw new Error(`no service named ${service} in the service tree`)
  const shape = shapeFromText(text)
  const cls = class extends ServiceRefBase {}
  for (const name of shape.methods) {
    define(cls.prototype, name, {
      value(this: ServiceRefBase, ...args: Array<unknown>) {
        // a call made once the module is loaded (every call after the first) is the module's own
        const loaded = modules.get(service)
        if (loaded !== undefined) return eagerMember(loaded, this.path, name)(...args)
        return Effect.flatMap(load(service, text), (m) => eagerMember(m, this.path, name)(...args) as Effect.Effect<unknown>)
      }
    })
  }
  for (const name of shape.streams) {
    define(cls.prototype, name, {
      value(this: ServiceRefBase, ...args: Array<unknown>) {
        return Stream.unwrap(Effect.map(load(service, text), (m) => eagerMember(m, this.path, name)(...args) as Stream.Stream<unknown>))
      }
    })
  }
  for (const [name, child, segment] of shape.locators) {
    if (segment === null) {
      define(cls.prototype, name, {
        value(this: ServiceRefBase, id: string) {
          return lazyRef(child, idPath(this.path, id))
        }
      })
    } else {
      define(cls.prototype, name, {
        get(this: ServiceRefBase) {
          return lazyRef(child, childPath(this.path, segment))
        }
      })
    }
  }
  classes.set(service, cls)
  return cls
}

/**
 * The ref of `service` at `path` (below the API root, escaped), its module loaded on the first call.
 * `R` is the service's generated ref interface: the shapes are generated from the same model.
 */
export const lazyRef = <R extends ServiceRef>(service: string, path: string): R => {
  const Ref = classOf(service)
  return new Ref(service, path) as unknown as R
}

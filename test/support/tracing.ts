/** A Tracer that records each span's name, attributes, parent and how it ended, for tests that check spans. */
import { type Exit, Option, Tracer } from "effect"

export interface RecordedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  parent?: string
  /** How the span ended: what an exporter records as the span's status and exception. */
  exit?: Exit.Exit<unknown, unknown>
}

export const recordingTracer = (spans: Array<RecordedSpan>): Tracer.Tracer =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const id = String(spans.length)
      const recorded: RecordedSpan = { name, attributes, ...(Option.isSome(parent) && parent.value._tag === "Span" ? { parent: parent.value.name } : {}) }
      spans.push(recorded)
      const span: Tracer.Span = {
        _tag: "Span", name, spanId: id, traceId: "t", parent, context, links: [...links], sampled: true, kind,
        status: { _tag: "Started", startTime },
        attributes,
        end: (_endTime, exit) => void (recorded.exit = exit),
        attribute: (key, value) => void attributes.set(key, value),
        event: () => undefined,
        addLinks: () => undefined
      }
      return span
    },
    context: (f) => f()
  })

/** A Tracer that records each span's name, attributes and parent, for tests that check spans. */
import { Option, Tracer } from "effect"

export interface RecordedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  parent?: string
}

export const recordingTracer = (spans: Array<RecordedSpan>): Tracer.Tracer =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const id = String(spans.length)
      spans.push({ name, attributes, ...(Option.isSome(parent) && parent.value._tag === "Span" ? { parent: parent.value.name } : {}) })
      const span: Tracer.Span = {
        _tag: "Span", name, spanId: id, traceId: "t", parent, context, links: [...links], sampled: true, kind,
        status: { _tag: "Started", startTime },
        attributes,
        end: () => undefined,
        attribute: (key, value) => void attributes.set(key, value),
        event: () => undefined,
        addLinks: () => undefined
      }
      return span
    },
    context: (f) => f()
  })

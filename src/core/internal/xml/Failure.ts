/**
 * The codec's internal failures: plain thrown errors on the hot path, turned into the public
 * `DecodeError` / `InvalidInputError` once, at the Effect boundary (src/core/Xml.ts).
 */

/** The text is not XML the reader accepts (malformed, DOCTYPE, unknown entity, ...). */
export class XmlSyntaxFailure extends Error {
  constructor(
    message: string,
    /** Character offset in the document where the problem was found. */
    readonly offset: number
  ) {
    super(message)
  }
}

/** Well-formed XML that does not fit the model: a bad value, an unknown root, strict-mode unknowns. */
export class XmlValueFailure extends Error {
  constructor(
    message: string,
    /** Element path, e.g. `/vms/vm[3]/memory`. */
    readonly element: string,
    /** The offending text, shortened. */
    readonly text?: string
  ) {
    super(message)
  }
}

/**
 * A value the writer cannot express: wrong type for its member, unknown field, invalid characters.
 * The path is built on the way out (each level prepends its step), so that writing a valid value
 * builds no path strings at all.
 */
export class XmlInputFailure extends Error {
  constructor(
    /** What is wrong, e.g. `must be an Integer`. */
    readonly problem: string,
    /** Member path below the value being written, e.g. `.cpu.topology.cores`. */
    public path = ""
  ) {
    super(problem)
  }

  /** Adds the step of the enclosing level in front of the path. */
  within(step: string): XmlInputFailure {
    this.path = step + this.path
    return this
  }
}

/** Text for an error field: at most 200 characters. */
export const shorten = (text: string): string => (text.length > 200 ? `${text.slice(0, 197)}...` : text)

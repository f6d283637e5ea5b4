/**
 * List links: members the model declares in `links` with `list: true` (e.g. `Vm.diskAttachments`).
 *
 * The engine either inlines such a list (`<disk_attachments><disk_attachment>...`, with `follow`) or
 * sends only `<link rel="diskattachments" href="/ovirt-engine/api/vms/123/diskattachments"/>`. Both
 * decode to one type: a readonly array of the items that may also carry the `href` of that link.
 * A link that was not inlined is an empty array with `href` set; an inlined list is a plain array.
 * Values stay plain data (an array literal is a ListLink), and `list.href` tells whether (and where)
 * the full list can be fetched.
 *
 * `Schema.Array` would drop the extra property, so `ListLink(item)` is a declared Schema that decodes
 * and encodes the items with `item` and carries `href` across in both directions.
 */
import { Array as Arr, Equivalence, ParseResult, Schema } from "effect"
import type { ArbitraryGenerationContext, LazyArbitrary } from "effect/Arbitrary"
import type { Pretty } from "effect/Pretty"
import type * as AST from "effect/SchemaAST"

export type ListLink<A> = ReadonlyArray<A> & { readonly href?: string }

/**
 * A list link from its items and the `href` of its `<link>` (the XML reader's constructor). Without
 * `href` the items array itself is returned; with it, a copy that carries `href`.
 */
export const makeListLink = <A>(items: ReadonlyArray<A>, href?: string | undefined): ListLink<A> =>
  href === undefined ? items : Object.assign(items.slice(), { href })

const hrefOf = (input: ReadonlyArray<unknown>): string | undefined | null => {
  const href: unknown = (input as { readonly href?: unknown }).href
  return href === undefined || typeof href === "string" ? href : null
}

const parseWith =
  <A>(items: (u: unknown, options?: AST.ParseOptions) => ReturnType<ParseResult.DecodeUnknown<ReadonlyArray<A>, never>>) =>
  (input: unknown, options: AST.ParseOptions, ast: AST.Declaration) => {
    if (!Array.isArray(input)) return ParseResult.fail(new ParseResult.Type(ast, input))
    const href = hrefOf(input)
    if (href === null) {
      return ParseResult.fail(new ParseResult.Type(ast, input, "a list link's href must be a string"))
    }
    return ParseResult.mapBoth(items(input, options), {
      onFailure: (issue) => new ParseResult.Composite(ast, input, issue),
      onSuccess: (decoded): ListLink<A> => makeListLink(decoded, href)
    })
  }

/** The Schema of a list link of `item`: like `Schema.Array(item)`, keeping `href`. */
export const ListLink = <A, I, R>(item: Schema.Schema<A, I, R>): Schema.Schema<ListLink<A>, ListLink<I>, R> =>
  Schema.declare(
    [item],
    {
      decode: (item) => parseWith(ParseResult.decodeUnknown(Schema.Array(item))),
      encode: (item) => parseWith(ParseResult.encodeUnknown(Schema.Array(item)))
    },
    {
      description: "ListLink",
      typeConstructor: { _tag: "effect-ovirt/ListLink" },
      pretty: listLinkPretty,
      equivalence: listLinkEquivalence,
      arbitrary: listLinkArbitrary
    }
  )

const listLinkPretty = <A>(item: Pretty<A>): Pretty<ListLink<A>> => (list) =>
  `makeListLink([${list.map((a) => item(a)).join(", ")}]${list.href === undefined ? "" : `, ${JSON.stringify(list.href)}`})`

const listLinkEquivalence = <A>(item: Equivalence.Equivalence<A>): Equivalence.Equivalence<ListLink<A>> => {
  const items = Arr.getEquivalence(item)
  return Equivalence.make((a, b) => a.href === b.href && items(a, b))
}

/** Inlined lists and links that were not inlined (empty, with `href`). */
const listLinkArbitrary =
  <A>(item: LazyArbitrary<A>, ctx: ArbitraryGenerationContext): LazyArbitrary<ListLink<A>> => (fc) => {
    const link = fc.webPath().map((href) => makeListLink<A>([], href))
    const items = fc.array(item(fc))
    // in recursive types, prefer the empty list as depth grows (like Schema's own collections)
    return ctx.depthIdentifier !== undefined ? fc.oneof(ctx, fc.constant([]), link, items) : fc.oneof(link, items)
  }

/**
 * src/types, above the core: the generated interfaces, Schemas and wire metadata (generated/), the
 * ListLink helpers, and Xml.ts, the core's XML codec bound to that metadata (the root's `Xml`).
 *
 * `effect-ovirt/types` (and `Types` from the package root): every struct and enum of the oVirt API
 * model as an interface or open union plus a Schema of the same name, and the ListLink helpers.
 */
export * from "./generated/index.js"
export { ListLink, makeListLink } from "./ListLink.js"

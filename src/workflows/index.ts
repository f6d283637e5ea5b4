/**
 * src/workflows, above the services: hand-written helpers that combine service calls into what a
 * program wants done. `Wait` polls an object until a state (or its jobs end), `Paging` walks a big
 * collection page by page, `Events` follows the event log, `DiskImages` uploads and downloads disk
 * images through image transfers and imageio. internal/ holds what they share and users never import
 * (paged listing, the state rules per type, the imageio client, the qcow2 header, upload sources,
 * zero detection).
 */
export * as DiskImages from "./DiskImages.js"
export * as Events from "./Events.js"
export * as Paging from "./Paging.js"
export * as Wait from "./Wait.js"

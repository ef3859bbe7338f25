export * from "./schema.js";
export * from "./store.js";
export * from "./errors.js";
export { parseStoredState, parseAuditLine } from "./parse.js";
export { FileStore, type FileStoreOptions } from "./file/file-store.js";
export { RedisStore, type RedisStoreOptions } from "./redis/redis-store.js";
export * from "./transitions/index.js";
export { openStore, StoreSpecError } from "./open-store.js";

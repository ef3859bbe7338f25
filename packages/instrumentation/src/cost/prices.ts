export { ModelPriceSchema, type ModelPrice, PriceTableSchema, type PriceTable, type TokenUsage, type CallCost } from "./schema.js";
export { PriceBook } from "./price-book.js";
export { datasetProviderId } from "./dataset.js";

/** The wsgen package root: the runtime that generated routers run on. */
export * from "./runtime/index.js";

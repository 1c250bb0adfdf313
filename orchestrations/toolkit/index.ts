export * from "./monitor";

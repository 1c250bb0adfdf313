/** Vitest setup file: after each test file, the process group of every `port25` child it left running is killed. */
import { afterAll } from "vitest";
import { stopAll } from "./spawn";

afterAll(stopAll);

/**
 * Import this first (before any module that calls `app.*`) when app modules are loaded by the caller rather than
 * through `host.importApp`: it installs the stand-in `@azure/functions-core` so registrations are captured.
 */
import { installFunctionsCore } from "./functionsCore";

installFunctionsCore();

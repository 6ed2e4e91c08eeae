#!/usr/bin/env node
// The `zk` command: loads tsx's ESM hooks, then runs the TypeScript source, in
// this one process (so signals and the exit code are the command's own).
import { register } from "tsx/esm/api";

register();
await import("./main.ts");

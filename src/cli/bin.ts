#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { run } from './main.js';

// A handler that stops early (Ctrl-C) sets process.exitCode = 130 and returns normally: keep it.
const code = await run(hideBin(process.argv));
process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);

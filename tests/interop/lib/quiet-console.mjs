/*
 * The libraries print diagnostics with console.log (verifier-core's schema check, the registry
 * client); stdout carries the JSON result, so every console method goes to stderr.
 */
import {format} from 'node:util';

for(const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[method] = (...args) => process.stderr.write(`${format(...args)}\n`);
}

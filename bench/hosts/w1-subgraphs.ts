/**
 * Host process for the W1 subgraphs (bench/w1/): serves them on ephemeral
 * ports and writes the supergraph, with their real URLs, to the file given as
 * the only argument.
 */
import { writeFileSync } from 'node:fs';
import { startW1Subgraphs } from '../w1';
import { runHost } from './host';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: w1-subgraphs <supergraph-output-file>');

void runHost(async () => {
  const running = await startW1Subgraphs({ host: '127.0.0.1' });
  writeFileSync(file, running.supergraphSdl);
  return { ready: { supergraphFile: file, urls: running.urls }, stop: () => running.stop() };
});

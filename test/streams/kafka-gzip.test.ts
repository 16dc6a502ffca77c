/**
 * The Kafka log's GZIP codec (streams/kafka/log.ts): record batches inflate in
 * one output buffer of the size their gzip trailer states, bounded against a
 * trailer that lies, with the same bytes out as zlib's own answer.
 */
import { gzipSync } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { gunzipChunkSize } from '../../streams/kafka/log';

const codec = () =>
  (CompressionCodecs[CompressionTypes.GZIP] as () => { decompress(b: Buffer): Promise<Buffer> })();

const text = (n: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => `{"offset":${i},"title":"Page_${i % 97}"}\n`).join(''));

test('one record batch inflates in one buffer of its stated size', () => {
  const raw = text(20_000);
  expect(raw.length).toBeGreaterThan(16 * 1024);
  expect(gunzipChunkSize(gzipSync(raw))).toBe(raw.length);
});

test('small, truncated and lying trailers stay within bounds', () => {
  expect(gunzipChunkSize(gzipSync(Buffer.from('{}')))).toBe(16 * 1024);
  expect(gunzipChunkSize(Buffer.alloc(5))).toBe(16 * 1024);
  // A 40-byte "batch" claiming 4 GiB: no more than deflate could inflate 40 bytes to.
  const liar = Buffer.alloc(40);
  liar.writeUInt32LE(0xffffffff, 36);
  expect(gunzipChunkSize(liar)).toBe(40 * 1032);
});

test('the codec kafkajs uses answers what zlib answers, also for several members and a lying trailer', async () => {
  const a = text(3_000);
  const b = text(50);
  await expect(codec().decompress(gzipSync(a))).resolves.toEqual(a);
  // Concatenated members: the trailer states only the last one's size; the rest inflates in more pieces.
  await expect(codec().decompress(Buffer.concat([gzipSync(a), gzipSync(b)]))).resolves.toEqual(
    Buffer.concat([a, b]),
  );
  const lying = gzipSync(a);
  lying.writeUInt32LE(10, lying.length - 4);
  await expect(codec().decompress(lying)).rejects.toThrow();
  await expect(codec().decompress(Buffer.from('not gzip at all, not at all'))).rejects.toThrow();
});

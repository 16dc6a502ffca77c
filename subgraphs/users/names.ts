/**
 * The form MediaWiki stores (and the events carry) user names and IP
 * addresses in, for names typed by API clients. Stored names are never
 * rewritten: they are already canonical, and a key must stay byte-exact.
 *
 * Following MediaWiki (User::getCanonicalName, IPUtils::sanitizeIP):
 *  - surrounding whitespace is dropped;
 *  - in a user name, underscores are spaces and runs of them one (`Harriet_Lowe`
 *    is `Harriet Lowe`);
 *  - an IPv4 address (or range) loses leading zeros in its octets;
 *  - an IPv6 address (or range) is upper case, with `::` expanded and leading
 *    zeros dropped from each group (`2001:db8::0001` is `2001:DB8:0:0:0:0:0:1`).
 * The first letter is not capitalised: whether it must be is a per-wiki setting.
 */
import { isIPv4, isIPv6 } from 'node:net';

function splitRange(text: string): { address: string; suffix: string } {
  const slash = text.indexOf('/');
  return slash < 0
    ? { address: text, suffix: '' }
    : { address: text.slice(0, slash), suffix: text.slice(slash) };
}

function canonicalIpv6(address: string): string {
  const upper = address.toUpperCase();
  const [head, tail] = upper.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => group.replace(/^0+(?=.)/, '')).join(':');
}

/** `input` as MediaWiki would store it: the name to look a user up by. */
export function canonicalUserName(input: string): string {
  const trimmed = input.trim();
  const { address, suffix } = splitRange(trimmed);
  const validSuffix = suffix === '' || /^\/\d{1,3}$/.test(suffix);
  if (validSuffix && isIPv4(address.replace(/(^|\.)0+(?=\d)/g, '$1'))) {
    return address.replace(/(^|\.)0+(?=\d)/g, '$1') + suffix;
  }
  // Addresses with an embedded IPv4 part (`::ffff:192.0.2.1`) are left as typed, upper-cased.
  if (validSuffix && isIPv6(address)) {
    return (address.includes('.') ? address.toUpperCase() : canonicalIpv6(address)) + suffix;
  }
  return trimmed.replace(/[_ ]+/g, ' ').trim();
}

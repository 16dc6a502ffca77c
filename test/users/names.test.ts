/** Names typed by API clients, read as MediaWiki stores them. */
import { canonicalUserName } from '../../subgraphs/users/names';

test.each([
  ['Harriet_Lowe', 'Harriet Lowe'],
  [' Foo__Bar_ ', 'Foo Bar'],
  ['Zoë', 'Zoë'],
  ['alice', 'alice'],
  [' 192.000.002.001 ', '192.0.2.1'],
  ['0.0.0.0', '0.0.0.0'],
  ['10.0.0.0/8', '10.0.0.0/8'],
  ['2001:db8::1', '2001:DB8:0:0:0:0:0:1'],
  ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:DB8:0:0:0:0:0:1'],
  ['::1', '0:0:0:0:0:0:0:1'],
  ['2001:db8:1:2:3:4:5::', '2001:DB8:1:2:3:4:5:0'],
  ['2001:db8::/32', '2001:DB8:0:0:0:0:0:0/32'],
  // Not addresses: left as names.
  ['1.2.3', '1.2.3'],
  ['2001:db8::1/x', '2001:db8::1/x'],
])('%j is looked up as %j', (input, canonical) => {
  expect(canonicalUserName(input)).toBe(canonical);
});

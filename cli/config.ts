/**
 * The configuration of a command that reports on its own streams (the ones
 * tests drive with their own stdout and stderr): a bad SDP_* variable is one
 * line naming it, and the command exits 2, as `sdp` itself does.
 */
import { ConfigError, loadConfig, type SdpConfig } from '../config/env';

/** The configuration from `env`, or null once the reason it cannot be read has gone to `err`. */
export function commandConfig(
  command: string,
  env: NodeJS.ProcessEnv,
  err: (line: string) => void,
): SdpConfig | null {
  try {
    return loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`sdp ${command}: configuration error: ${e.message}`);
    return null;
  }
}

/**
 * The MLS engine this build of Parley runs: the library and its version, and Parley's
 * use of it. Stored group states and each channel's group (at the server) record the
 * engine that made them; another engine cannot continue them (ts-mls releases after
 * rc.10 change wire and state encodings, docs/adr/0005), so a mismatch means "reset the
 * channel's encryption", never "try to decode". Change it whenever an upgrade changes
 * an encoding.
 */
export const MLS_ENGINE = "ts-mls@2.0.0-rc.10";

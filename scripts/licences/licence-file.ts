// Reads the licence of a package whose package.json does not name one (or says
// "SEE LICENSE IN <file>") from its licence file. Recognition is by phrases every
// copy of the licence text carries; the copyleft families come first so a file
// that mentions the GPL anywhere is never taken for a permissive one.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Licence texts, most restrictive first; the first match names the licence. */
const SIGNATURES: ReadonlyArray<{ id: string; test: RegExp }> = [
  { id: "AGPL-3.0", test: /GNU AFFERO GENERAL PUBLIC LICENSE/i },
  { id: "LGPL", test: /GNU (LESSER|LIBRARY) GENERAL PUBLIC LICENSE/i },
  { id: "GPL", test: /GNU GENERAL PUBLIC LICENSE/i },
  { id: "SSPL-1.0", test: /Server Side Public License/i },
  { id: "MPL-2.0", test: /Mozilla Public License,? Version 2\.0/i },
  { id: "Apache-2.0", test: /Apache License,? Version 2\.0/i },
  { id: "BlueOak-1.0.0", test: /Blue Oak Model License/i },
  { id: "MIT", test: /Permission is hereby granted, free of charge, to any person obtaining a copy/i },
  // ISC and 0BSD share the grant; only ISC asks to keep the notice.
  {
    id: "ISC",
    test: /Permission to use, copy, modify, (and\/or |and )?distribute this software for any purpose with or without fee is hereby granted, provided that/i,
  },
  { id: "0BSD", test: /Permission to use, copy, modify, (and\/or |and )?distribute this software for any purpose with or without fee is hereby granted/i },
  { id: "BSD-3-Clause", test: /Redistribution and use in source and binary forms[\s\S]*(Neither the name|names of its contributors may be used)/i },
  { id: "BSD-2-Clause", test: /Redistribution and use in source and binary forms/i },
  { id: "Unlicense", test: /This is free and unencumbered software released into the public domain/i },
  { id: "CC0-1.0", test: /CC0 1\.0 Universal/i },
];

const LICENCE_FILE = /^(licen[cs]e|copying)([.-].*)?$/i;

/** The SPDX id a licence text matches, or undefined when none does. */
export function identifyLicenceText(text: string): string | undefined {
  const flat = text.replace(/\s+/g, " ");
  return SIGNATURES.find((s) => s.test.test(flat))?.id;
}

/** The licence files directly in a package directory (LICENSE, LICENCE.md, COPYING, ...). */
function licenceFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => LICENCE_FILE.test(name))
    .sort();
}

/**
 * Identifies a package's licence from a named file, or from its licence files.
 * Returns what was found (`MIT (from LICENSE)`) or undefined when nothing is
 * there or nothing is recognised.
 */
export function licenceFromFiles(dir: string, named?: string): { id: string; source: string } | undefined {
  const files = named !== undefined ? [named] : licenceFiles(dir);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), "utf8");
    } catch {
      continue;
    }
    const id = identifyLicenceText(text);
    if (id !== undefined) return { id, source: file };
  }
  return undefined;
}

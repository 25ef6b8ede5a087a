import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { RepositoryConfig } from "../git/repository.js";
import type { ManifestError } from "./format-errors.js";
import { parseManifest, type ServiceManifest } from "./schema.js";

export type { ManifestError } from "./format-errors.js";

/** A valid manifest and where it came from. */
export interface LoadedManifest {
  /** Absolute path of the manifest file. */
  file: string;
  /** Absolute directory holding the manifest file. */
  dir: string;
  /** Absolute working directory for the target's actions and the stages' commands. */
  workdir: string;
  /** The service's git repository, its path made absolute, when the manifest names one. */
  repository?: RepositoryConfig;
  manifest: ServiceManifest;
}

/** The manifest's file as messages name it: its directory's name and its own, e.g. `services/web.yaml`. */
export function shownFile(loaded: Pick<LoadedManifest, "dir" | "file">): string {
  return path.join(path.basename(loaded.dir), path.basename(loaded.file));
}

export interface ManifestSet {
  /** Valid manifests by service name. */
  services: Map<string, LoadedManifest>;
  /** Every problem found; empty when all manifests are valid. */
  errors: ManifestError[];
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml"]);

const HOW_TO_FIX_DIR =
  "set SLIPWAY_MANIFESTS to the folder holding your service manifests (default: manifests/services)";

function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeDirError(error: unknown, shown: string): string {
  switch (errorCode(error)) {
    case "ENOENT":
      return `manifest directory ${shown} does not exist; ${HOW_TO_FIX_DIR}`;
    case "ENOTDIR":
      return `${shown} is not a directory; ${HOW_TO_FIX_DIR}`;
    case "EACCES":
    case "EPERM":
      return `cannot read manifest directory ${shown}: permission denied; ${HOW_TO_FIX_DIR}`;
    default:
      return `cannot read manifest directory ${shown}: ${errorMessage(error)}; ${HOW_TO_FIX_DIR}`;
  }
}

/** Manifest file names in `dir`, sorted; symlinks count (Kubernetes ConfigMap mounts are symlinks). */
async function listManifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (!MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) continue;
    if (entry.isFile()) names.push(entry.name);
    else if (entry.isSymbolicLink()) {
      const target = await stat(path.join(dir, entry.name)).catch(() => undefined);
      if (target?.isFile()) names.push(entry.name);
    }
  }
  return names.sort();
}

type ParsedYaml = { ok: true; data: unknown } | { ok: false; path: string; message: string };

function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first !== undefined) {
    if (first.code === "MULTIPLE_DOCS") {
      return {
        ok: false,
        path: "",
        message: "the file holds more than one YAML document ('---'); put each service in its own file",
      };
    }
    const { line, col } = lineCounter.linePos(first.pos[0]);
    const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : "";
    return {
      ok: false,
      path: "",
      message: `YAML syntax error at line ${line}, column ${col}: ${first.message}${more}`,
    };
  }
  if (doc.contents === null) {
    return {
      ok: false,
      path: "",
      message: "the file is empty; a manifest needs service, channels, target and environments",
    };
  }
  try {
    return { ok: true, data: doc.toJS() };
  } catch (error) {
    return { ok: false, path: "", message: `YAML error: ${errorMessage(error)}` };
  }
}

/** Whether a directory the manifest names exists; `written` as the manifest says it. */
async function checkWorkdir(workdir: string, written: string | undefined): Promise<string | undefined> {
  const shown = written === undefined ? "the manifest's directory" : `'${written}' (${workdir})`;
  try {
    const info = await stat(workdir);
    return info.isDirectory() ? undefined : `${shown} is not a directory`;
  } catch (error) {
    return errorCode(error) === "ENOENT"
      ? `directory ${shown} does not exist; it is resolved from the manifest file's directory`
      : `cannot use ${shown}: ${errorMessage(error)}`;
  }
}

/**
 * Reads every `*.yaml` / `*.yml` file directly in `dir` (not sub-directories),
 * and validates each as a service manifest. Never throws for bad input: every
 * problem, including a missing directory, is returned in `errors`, with file
 * names relative to the directory's parent (`services/web.yaml`).
 */
export async function loadManifests(dir: string): Promise<ManifestSet> {
  const root = path.resolve(dir);
  const shownDir = path.basename(root);
  const services = new Map<string, LoadedManifest>();
  const errors: ManifestError[] = [];
  const sourceOf = new Map<string, string>();

  let names: string[];
  try {
    names = await listManifestFiles(root);
  } catch (error) {
    errors.push({
      file: shownDir,
      path: "",
      message: describeDirError(error, dir === root ? root : `'${dir}' (${root})`),
    });
    return { services, errors };
  }
  if (names.length === 0) {
    errors.push({
      file: shownDir,
      path: "",
      message: `no manifests found in ${root} (expected *.yaml or *.yml files); add one per service or ${HOW_TO_FIX_DIR}`,
    });
    return { services, errors };
  }

  for (const name of names) {
    const file = path.join(root, name);
    const shown = `${shownDir}/${name}`;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      errors.push({ file: shown, path: "", message: `cannot read the file: ${errorMessage(error)}` });
      continue;
    }

    const parsed = parseYaml(text);
    if (!parsed.ok) {
      errors.push({ file: shown, path: parsed.path, message: parsed.message });
      continue;
    }

    const result = parseManifest(parsed.data);
    if (!result.ok) {
      for (const issue of result.issues) errors.push({ file: shown, ...issue });
      continue;
    }

    const { manifest } = result;
    const previous = sourceOf.get(manifest.service);
    if (previous !== undefined) {
      errors.push({
        file: shown,
        path: "service",
        message: `service '${manifest.service}' is already declared in ${previous}; each service has exactly one manifest`,
      });
      continue;
    }
    sourceOf.set(manifest.service, shown);

    const workdir = path.resolve(root, manifest.target.workdir ?? ".");
    const workdirProblem = await checkWorkdir(workdir, manifest.target.workdir);
    if (workdirProblem !== undefined) {
      errors.push({ file: shown, path: "target.workdir", message: workdirProblem });
      continue;
    }

    const repository = manifest.repository
      ? {
          path: path.resolve(root, manifest.repository.path),
          ...(manifest.repository.remote === undefined ? {} : { remote: manifest.repository.remote }),
        }
      : undefined;
    const repositoryProblem = repository && (await checkWorkdir(repository.path, manifest.repository?.path));
    if (repositoryProblem) {
      errors.push({ file: shown, path: "repository.path", message: repositoryProblem });
      continue;
    }

    services.set(manifest.service, { file, dir: root, workdir, ...(repository ? { repository } : {}), manifest });
  }

  return { services, errors };
}

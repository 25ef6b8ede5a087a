import { execFile } from "node:child_process";
import { SlipwayError } from "../errors.js";

/** How long one git command may take (a fetch from a slow remote included). Default 60 s. */
export const DEFAULT_GIT_TIMEOUT_MS = 60_000;

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** A git command that could not start or exited non-zero; `stderr` says why in git's words. */
export class GitError extends SlipwayError {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super("git_failed", `git ${args[0] ?? ""} failed${stderr ? `: ${stderr.trim().split("\n").at(-1)}` : ""}`, options);
    this.name = "GitError";
  }
}

export interface GitOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs git in `repo` with an argv array, never through a shell: a version or
 * message from Slack is one argument and is never read as a command. Prompts
 * are off (a remote asking for a password fails instead of hanging), and the
 * user's configuration cannot add hooks or pagers.
 */
export function runGit(repo: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      ["-C", repo, "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat", ...args],
      {
        shell: false,
        timeout: options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS,
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: "utf8",
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new GitError(args, error.code ?? undefined, stderr, { cause: error }));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

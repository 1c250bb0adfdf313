/**
 * What every `port25` command returns: the process's exit code (0 success, 1 the run or call failed, 2 usage,
 * 130 interrupted or paused by Ctrl+C, as a shell reports a process ended by SIGINT).
 */
export interface CommandResult {
  exitCode: 0 | 1 | 2 | 130;
}

import cliProgress from "cli-progress";

export interface ReplayProgress {
  start(total: number): void;
  update(done: number, divergent: number): void;
  stop(): void;
}

/**
 * A progress bar on `stream` (stderr by default). On a terminal it redraws in
 * place; elsewhere (CI logs, files) it prints a line now and then instead.
 */
export function progressBar(stream: NodeJS.WritableStream = process.stderr): ReplayProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "replay |{bar}| {value}/{total} inputs | {divergent} divergent | eta {eta_formatted}",
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { divergent: 0 }),
    update: (done, divergent) => bar.update(done, { divergent }),
    stop: () => bar.stop(),
  };
}

export const silentProgress: ReplayProgress = { start: () => undefined, update: () => undefined, stop: () => undefined };

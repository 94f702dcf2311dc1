/**
 * The measurement matrix of the fan-out benches (bench/fanout/run.ts,
 * bench/cluster/run.ts): every subscriber count × rate, each cell measured
 * `repeat` times with the targets interleaved run by run (so a noisy
 * moment of the shared machine hits every target alike), and reported as
 * one row per target: the median of its runs.
 */

/** What a row of either bench has in common. */
export interface Cell {
  target: string;
  clients: number;
  rate: string;
  /** Why the row has no result, if it has none. */
  failure?: string;
}

export interface Matrix<Row extends Cell> {
  clientCounts: readonly number[];
  rates: readonly string[];
  targets: readonly string[];
  repeat: number;
  measure: (target: string, clients: number, rate: string) => Promise<Row>;
  /** The median row of a cell's runs of one target. */
  median: (runs: Row[]) => Row;
  /** A line for stderr after each run. */
  describe: (row: Row) => string;
}

export async function measureMatrix<Row extends Cell>(matrix: Matrix<Row>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const clients of matrix.clientCounts) {
    for (const rate of matrix.rates) {
      const runs = new Map<string, Row[]>(matrix.targets.map((target) => [target, []]));
      for (let run = 0; run < matrix.repeat; run++) {
        for (const target of matrix.targets) {
          const row = await matrix.measure(target, clients, rate);
          runs.get(target)!.push(row);
          console.error(`${target} C=${clients} rate=${rate} run ${run + 1}/${matrix.repeat}: ${matrix.describe(row)}`);
        }
      }
      for (const target of matrix.targets) rows.push(matrix.median(runs.get(target)!));
    }
  }
  return rows;
}

/** The runs that produced a result, or undefined (then the row is the first run's, failure and all). */
export function okRuns<Row extends Cell>(runs: readonly Row[]): Row[] | undefined {
  const ok = runs.filter((run) => run.failure === undefined);
  return ok.length === 0 ? undefined : ok;
}

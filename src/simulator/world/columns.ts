/**
 * Compact storage for what the simulated world keeps for the whole run (its Activity Log, its power-state timeline):
 * numbers in typed arrays that grow by doubling, and each distinct string (a resource id, an operation name, a
 * state) kept once and referred to by index. A record then costs a few dozen bytes instead of an object with its
 * own copies of the strings, so a fleet of 20,000 VMs keeps its history without the heap growing by its size.
 */

/** Each distinct string once, numbered in the order first seen. */
export class StringTable {
  private readonly index = new Map<string, number>();
  private readonly values: string[] = [];

  /** The string's number, adding it when new. */
  id(value: string): number {
    const known = this.index.get(value);
    if (known !== undefined) return known;
    const n = this.values.length;
    this.index.set(value, n);
    this.values.push(value);
    return n;
  }

  /** The number of a string already in the table, without adding it. */
  find(value: string): number | undefined {
    return this.index.get(value);
  }

  value(id: number): string {
    const v = this.values[id];
    if (v === undefined) throw new Error(`no string numbered ${id}`);
    return v;
  }

  get size(): number {
    return this.values.length;
  }
}

type NumberArray = Float64Array | Int32Array | Uint8Array;

/** A typed array that grows by doubling; `length` values are in use. */
export class Column<A extends NumberArray> {
  private data: A;
  length = 0;

  constructor(private readonly make: (size: number) => A) {
    this.data = make(256);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  get(i: number): number {
    if (i < 0 || i >= this.length) throw new RangeError(`no value at ${i} (length ${this.length})`);
    return this.data[i] ?? 0;
  }
}

export const float64Column = (): Column<Float64Array> => new Column((n) => new Float64Array(n));
export const int32Column = (): Column<Int32Array> => new Column((n) => new Int32Array(n));

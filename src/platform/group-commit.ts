/**
 * Group commit: concurrent callers each hand one item and wait until it is stored, and the items
 * that arrive while one write is in flight are stored together by the next write. Nothing waits on
 * a timer (a lone caller is written at once) and nothing is acknowledged before its write has
 * committed, so a crash loses only items whose callers were never answered.
 *
 * When a group's write fails, each of its items is written again alone, so one bad item fails only
 * its own caller.
 */
export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private writing = false;
  /** Writes and items so far, for benchmarks: items / writes is the mean group size. */
  writes = 0;
  items = 0;

  constructor(
    private readonly writeGroup: (items: T[]) => Promise<void>,
    private readonly maxGroup = 200,
  ) {}

  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxGroup);
        this.writes++;
        this.items += group.length;
        try {
          await this.writeGroup(group.map((entry) => entry.item));
          for (const entry of group) entry.resolve();
        } catch (error) {
          if (group.length === 1) {
            group[0]!.reject(error);
            continue;
          }
          for (const entry of group) {
            try {
              await this.writeGroup([entry.item]);
              entry.resolve();
            } catch (alone) {
              entry.reject(alone);
            }
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }
}

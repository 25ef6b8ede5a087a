import { describe, expect, it } from "vitest";
import { parseBackupId } from "../../../src/domain/backup.js";

describe("parseBackupId", () => {
  it("reads the id of the last backup-id line of a backup's output", () => {
    expect(parseBackupId("backing up shop production\nbackup written\nbackup-id: shop-production-d-1\n")).toBe(
      "shop-production-d-1",
    );
    expect(parseBackupId("backup-id: first\n  backup-id:   snap/2026-12-07T05:00Z@eu \n")).toBe(
      "snap/2026-12-07T05:00Z@eu",
    );
  });

  it("finds none in output without such a line, or with an id that is not plain", () => {
    expect(parseBackupId("snapshot written (42 tables, 18 MB)")).toBeUndefined();
    expect(parseBackupId("the backup-id: is printed below")).toBeUndefined();
    expect(parseBackupId("backup-id: $(reboot)")).toBeUndefined();
    expect(parseBackupId("backup-id: two words")).toBeUndefined();
  });
});

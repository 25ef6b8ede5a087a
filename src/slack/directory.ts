import type { WebClient } from "@slack/web-api";
import type { GroupDirectory, GroupLookup } from "../engine/authorize.js";
import { coerceError } from "../errors.js";
import { type Keys, keys } from "../store/keys.js";
import type { RedisClient } from "../store/redis.js";

/** How long a user group's members are trusted before asking Slack again. */
const CACHE_MS = 5 * 60_000;

/**
 * Which Slack user groups a person belongs to, from `usergroups.users.list`,
 * cached in Redis for a few minutes so a burst of clicks asks Slack once.
 */
export class Directory implements GroupDirectory {
  private readonly k: Keys;

  constructor(
    private readonly slack: WebClient,
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  /** The groups among `groupIds` that `userId` is a member of; fails when one cannot be resolved. */
  async groupsOf(userId: string, groupIds: readonly string[]): Promise<GroupLookup> {
    const groups = new Set<string>();
    for (const groupId of new Set(groupIds)) {
      const members = await this.members(groupId);
      if (!members.ok) return members;
      if (members.users.includes(userId)) groups.add(groupId);
    }
    return { ok: true, groups };
  }

  private async members(groupId: string): Promise<{ ok: true; users: string[] } | { ok: false; message: string }> {
    const cached = await this.redis.get(this.k.userGroups(groupId));
    if (cached !== null) return { ok: true, users: JSON.parse(cached) as string[] };
    try {
      const answer = await this.slack.usergroups.users.list({ usergroup: groupId });
      const users = answer.users ?? [];
      await this.redis.set(this.k.userGroups(groupId), JSON.stringify(users), "PX", CACHE_MS);
      return { ok: true, users };
    } catch (thrown) {
      const error = coerceError(thrown);
      return {
        ok: false,
        message: `Slipway could not look up the members of user group <!subteam^${groupId}> (${error.message}), so nothing was changed. Check that the group exists and that the app has the usergroups:read scope.`,
      };
    }
  }
}

// Types of plays.js (plain JavaScript so the dashboard runs the same definition).

/** The play of each built-in segment (`feature-unused:` stands for every `feature-unused:<event>`). */
export declare const PLAYS: Readonly<Record<string, string>>;

/** The play of a segment key, or undefined for a custom segment. */
export declare function playOf(segmentKey: string): string | undefined;

/** The facts that put a member in a built-in segment, in words, or undefined. */
export declare function situationOf(segmentKey: string, facts: Readonly<Record<string, unknown>>): string | undefined;

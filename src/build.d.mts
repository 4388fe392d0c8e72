/** Types of src/build.mjs (plain JavaScript, so `npm start` runs it without tsx). */
export function buildServer(dirs?: string[]): Promise<{ files: number; changed: number }>;

/** R2 deletes at most 1,000 keys a call. */
const DELETE_BATCH = 1000;

/** Deletes `keys` from `bucket`, in as many calls as R2's bound needs (none for an empty list). */
export async function deleteKeys(bucket: R2Bucket, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) await bucket.delete(keys.slice(i, i + DELETE_BATCH));
}

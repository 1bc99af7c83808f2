/** Fixed layout constants of the binary frame (`frame.ts` documents the layout). */

/** "ESPF" */
export const FRAME_MAGIC = 0x45535046;
/** Frame format version written by this code. */
export const FRAME_VERSION = 1;
/** Fixed header bytes before the body. */
export const HEADER_BYTES = 20;
/** Trailer bytes of a frame with a CRC32 (every frame but {@link FRAME_FLAG_NO_CRC} ones). */
export const CRC_BYTES = 4;
/**
 * Frame flag: no CRC32 trailer. Sent only inside AEAD records (the record's GCM tag authenticates
 * every byte), after both ends agreed to it in the handshake; a decoder outside records rejects it.
 */
export const FRAME_FLAG_NO_CRC = 0x01;

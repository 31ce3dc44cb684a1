/**
 * Slice navigation: mouse wheel and keys → slice index, without the DOM (testable as numbers).
 *
 * A wheel event of at least WHEEL_NOTCH_PX (a mouse-wheel notch) moves exactly one slice, so one
 * notch is one slice whatever the browser's pixels per notch; smaller deltas (touchpads) add up until
 * they reach WHEEL_PX_PER_SLICE.
 */

/** WheelEvent.deltaMode values. */
export const DOM_DELTA_PIXEL = 0;
export const DOM_DELTA_LINE = 1;
export const DOM_DELTA_PAGE = 2;
/** Pixels one "line" of wheel delta stands for. */
export const WHEEL_PX_PER_LINE = 40;
export const WHEEL_NOTCH_PX = 50;
export const WHEEL_PX_PER_SLICE = 100;
/** Slices moved by PageUp / PageDown. */
export const PAGE_SLICES = 10;

export interface WheelState {
  /** Touchpad delta not yet turned into a slice step, px. */
  restPx: number;
}

/** Slice steps for one wheel event (+ = towards higher slice index), and the delta left over. */
export function wheelSteps(state: WheelState, deltaY: number, deltaMode: number): { steps: number; state: WheelState } {
  const px = deltaMode === DOM_DELTA_LINE ? deltaY * WHEEL_PX_PER_LINE : deltaMode === DOM_DELTA_PAGE ? deltaY * WHEEL_PX_PER_SLICE * PAGE_SLICES : deltaY;
  if (Math.abs(px) >= WHEEL_NOTCH_PX) {
    const steps = deltaMode === DOM_DELTA_PAGE ? Math.trunc(deltaY) * PAGE_SLICES || Math.sign(deltaY) * PAGE_SLICES : Math.sign(px);
    return { steps, state: { restPx: 0 } };
  }
  const total = state.restPx + px;
  const steps = Math.trunc(total / WHEEL_PX_PER_SLICE);
  return { steps, state: { restPx: total - steps * WHEEL_PX_PER_SLICE } };
}

export type KeyAction =
  | { kind: 'step'; by: number }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'preset'; name: 'lung' | 'mediastinum' }
  | { kind: 'zoom'; factor: number }
  | { kind: 'reset' };

/** Zoom factor of one +/− key press. */
export const KEY_ZOOM_FACTOR = 1.25;

/** What a key does in the slice view (null: not ours, let the browser have it). */
export function keyAction(key: string): KeyAction | null {
  switch (key) {
    case 'ArrowDown':
    case 'ArrowRight':
    case 'j':
      return { kind: 'step', by: 1 };
    case 'ArrowUp':
    case 'ArrowLeft':
    case 'k':
      return { kind: 'step', by: -1 };
    case 'PageDown':
      return { kind: 'step', by: PAGE_SLICES };
    case 'PageUp':
      return { kind: 'step', by: -PAGE_SLICES };
    case 'Home':
      return { kind: 'first' };
    case 'End':
      return { kind: 'last' };
    case '1':
    case 'l':
      return { kind: 'preset', name: 'lung' };
    case '2':
    case 'm':
      return { kind: 'preset', name: 'mediastinum' };
    case '+':
    case '=':
      return { kind: 'zoom', factor: KEY_ZOOM_FACTOR };
    case '-':
      return { kind: 'zoom', factor: 1 / KEY_ZOOM_FACTOR };
    case '0':
      return { kind: 'reset' };
    default:
      return null;
  }
}

export function clampSlice(index: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.round(index)));
}

/** The slice after a step or jump action (other actions leave it). */
export function sliceAfter(action: KeyAction, current: number, count: number): number {
  switch (action.kind) {
    case 'step':
      return clampSlice(current + action.by, count);
    case 'first':
      return 0;
    case 'last':
      return count - 1;
    default:
      return current;
  }
}

/**
 * On a form's action buttons: a mouse press does not move focus, so the field being left does not
 * show its blur-time error and shift the layout under the pointer before the click lands.
 * Keyboard use is unaffected.
 */
export function keepFocus(e: { preventDefault(): void }): void {
  e.preventDefault();
}

/** The markup every form shares: a field's error, and the row of actions at the bottom. */
import type { ReactNode } from 'react';
import { keepFocus } from './keepFocus';

/** A field's error, announced as it appears; nothing while there is none. */
export function FieldError({ id, children }: { id?: string; children: ReactNode }) {
  if (!children) return null;
  return (
    <small id={id} className="error" role="alert">
      {children}
    </small>
  );
}

export interface FormActionsProps {
  /** The primary button's label. */
  primary: ReactNode;
  /** Its click; without one it submits the form it is in. */
  onPrimary?: () => void;
  primaryDisabled?: boolean;
  /** A mouse press on the primary button keeps focus in the field (see keepFocus). */
  holdFocus?: boolean;
  /** Buttons before the primary one. */
  before?: ReactNode;
  /** Buttons between the primary one and Cancel. */
  children?: ReactNode;
  /** Cancel (or `cancelLabel`); no such button without it. */
  onCancel?: () => void;
  cancelLabel?: string;
  /** Stays in view at the bottom of a long, scrolling form. */
  sticky?: boolean;
}

export function FormActions({ primary, onPrimary, primaryDisabled, holdFocus, before, children, onCancel, cancelLabel = 'Cancel', sticky }: FormActionsProps) {
  return (
    <div className={sticky ? 'form-actions sticky-actions' : 'form-actions'}>
      {before}
      <button
        type={onPrimary ? 'button' : 'submit'}
        className="primary"
        onClick={onPrimary}
        onMouseDown={holdFocus ? keepFocus : undefined}
        disabled={primaryDisabled}
      >
        {primary}
      </button>
      {children}
      {onCancel && (
        <button type="button" onClick={onCancel}>
          {cancelLabel}
        </button>
      )}
    </div>
  );
}

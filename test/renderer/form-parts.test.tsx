/** The shared form markup: a field's error and the action row, used by every dialog. */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FieldError, FormActions } from '../../renderer/src/components/FormParts';

afterEach(() => cleanup());

describe('FieldError', () => {
  it('announces an error and renders nothing without one', () => {
    const { rerender, container } = render(<FieldError id="x-err">{null}</FieldError>);
    expect(container.innerHTML).toBe('');
    rerender(<FieldError id="x-err">Enter a number</FieldError>);
    const alert = screen.getByRole('alert');
    expect(alert.id).toBe('x-err');
    expect(alert.textContent).toBe('Enter a number');
  });
});

describe('FormActions', () => {
  it('submits its form without a click handler; Cancel only when asked for, in order before · primary · others · cancel', () => {
    let submitted = 0;
    let canceled = 0;
    render(
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submitted++;
        }}
      >
        <FormActions primary="Save" onCancel={() => canceled++} cancelLabel="Close" before={<button type="button">Test</button>} holdFocus>
          <button type="button">Reset</button>
        </FormActions>
      </form>,
    );
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Test', 'Save', 'Reset', 'Close']);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(submitted).toBe(1);
    // holdFocus: a mouse press does not take focus from the field being edited.
    expect(fireEvent.mouseDown(screen.getByRole('button', { name: 'Save' }))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(canceled).toBe(1);
  });

  it('with a click handler the primary button does not submit, and can be disabled; no Cancel without onCancel', () => {
    let clicked = 0;
    let submitted = 0;
    const { rerender } = render(
      <form onSubmit={() => submitted++}>
        <FormActions primary="Apply" onPrimary={() => clicked++} />
      </form>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect([clicked, submitted]).toEqual([1, 0]);
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    rerender(
      <form onSubmit={() => submitted++}>
        <FormActions primary="Apply" onPrimary={() => clicked++} primaryDisabled />
      </form>,
    );
    expect((screen.getByRole('button', { name: 'Apply' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

// A choice in a label or assignee picker.
export interface PickerOption {
  name: string;
  /** Label colour (six hex digits), for label pickers. */
  color?: string | null;
  description?: string | null;
}

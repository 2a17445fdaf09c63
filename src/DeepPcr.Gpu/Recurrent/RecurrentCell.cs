namespace DeepPcr.Gpu.Recurrent;

/// <summary>
/// The recurrent cells of the device engine: ParaRNN's diagonal cells of issue 23, in PyTorch's conventions (gate rows
/// stacked in <c>weight_ih</c> [3H, I]; <c>weight_hh</c> [3H] diagonal; <c>bias_ih</c>, <c>bias_hh</c> [3H]; σ the logistic function).
/// </summary>
public enum RecurrentCell
{
    /// <summary>
    /// <c>gru-diag</c>: gates [r; z; n]; r = σ(W_ir x + b_ir + w_hr ⊙ h + b_hr), z likewise, n = tanh(W_in x + b_in + r ⊙ (w_hn ⊙ h + b_hn)),
    /// h' = (1 − z) ⊙ n + z ⊙ h. State h (width H); diagonal Jacobian.
    /// </summary>
    GruDiag,

    /// <summary>
    /// <c>lstm-cifg-diag</c>: gates [f; g; o]; f = σ(W_if x + b_if + w_hf ⊙ h + b_hf), g = tanh(…), o = σ(…), c' = f ⊙ c + (1 − f) ⊙ g,
    /// h' = o ⊙ tanh(c'). State (h, c) of width 2H; Jacobian of 2 x 2 blocks of diagonals (BlockDiagonal(2)).
    /// </summary>
    LstmCifgDiag,
}

/// <summary>Names and sizes of a <see cref="RecurrentCell"/>.</summary>
public static class RecurrentCells
{
    /// <summary>Gate rows per unit: 3 for both cells.</summary>
    public const int Gates = 3;

    /// <summary>The cell's name as issue 23 and the CLI spell it.</summary>
    public static string Name(this RecurrentCell cell) => cell switch
    {
        RecurrentCell.GruDiag => "gru-diag",
        RecurrentCell.LstmCifgDiag => "lstm-cifg-diag",
        _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "Unknown cell."),
    };

    /// <summary>k of the Jacobian's BlockDiagonal(k) structure: 1 (diagonal) for gru-diag, 2 for lstm-cifg-diag.</summary>
    public static int BlockSize(this RecurrentCell cell) => cell == RecurrentCell.LstmCifgDiag ? 2 : 1;

    /// <summary>Parses a cell name.</summary>
    /// <param name="name"><c>gru-diag</c> or <c>lstm-cifg-diag</c>.</param>
    /// <returns>The cell.</returns>
    /// <exception cref="ArgumentException">Any other name (the message lists the known ones).</exception>
    public static RecurrentCell Parse(string name) => name switch
    {
        "gru-diag" => RecurrentCell.GruDiag,
        "lstm-cifg-diag" => RecurrentCell.LstmCifgDiag,
        _ => throw new ArgumentException($"Unknown cell '{name}'; the device engine has gru-diag and lstm-cifg-diag.", nameof(name)),
    };
}

namespace DeepPcr.Recurrent;

/// <summary>
/// The recurrent cells that run as chains along the time axis, with PyTorch's equations and gate orders (σ the logistic
/// function; P = W_ih x_t + b_ih and Q = W_hh h + b_hh, or w_hh ⊙ h + b_hh for the diagonal cells, split by gate rows).
/// </summary>
public enum RecurrentCell
{
    /// <summary>PyTorch <c>nn.GRU</c>, gate rows [r; z; n]: r = σ(P_r + Q_r), z = σ(P_z + Q_z), n = tanh(P_n + r ⊙ Q_n),
    /// h' = (1 − z) ⊙ n + z ⊙ h. State h (width H); dense H x H Jacobian.</summary>
    Gru,

    /// <summary>PyTorch <c>nn.LSTM</c>, gate rows [i; f; g; o]: c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'). State (h, c)
    /// (width 2H); dense 2H x 2H Jacobian.</summary>
    Lstm,

    /// <summary>ParaRNN's diagonal GRU: as <see cref="Gru"/> with <c>weight_hh</c> of shape [3H] multiplying h elementwise.
    /// Diagonal Jacobian.</summary>
    GruDiag,

    /// <summary>ParaRNN's diagonal LSTM with coupled input and forget gates, gate rows [f; g; o], <c>weight_hh</c> [3H]:
    /// c' = f ⊙ c + (1 − f) ⊙ g, h' = o ⊙ tanh(c'). State (h, c); Jacobian 2 x 2 blocks of diagonals.</summary>
    LstmCifgDiag,
}

/// <summary>Names and properties of <see cref="RecurrentCell"/>.</summary>
public static class RecurrentCells
{
    private static readonly RecurrentCell[] All = { RecurrentCell.Gru, RecurrentCell.Lstm, RecurrentCell.GruDiag, RecurrentCell.LstmCifgDiag };

    /// <summary>The stable name: "gru", "lstm", "gru-diag", "lstm-cifg-diag".</summary>
    public static string Name(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Gru => "gru",
        RecurrentCell.Lstm => "lstm",
        RecurrentCell.GruDiag => "gru-diag",
        RecurrentCell.LstmCifgDiag => "lstm-cifg-diag",
        _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "Unknown recurrent cell."),
    };

    /// <summary>The four names, in the enum's order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(Name).ToArray();

    /// <summary>The cell of a name (exact, lower case).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the four.</exception>
    public static RecurrentCell Parse(string name)
    {
        foreach (var cell in All)
        {
            if (string.Equals(Name(cell), name, StringComparison.Ordinal)) return cell;
        }
        throw new ArgumentException($"Unknown recurrent cell '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>G, the gate rows of the weights: 3 for the GRUs and the CIFG LSTM, 4 for the LSTM.</summary>
    public static int Gates(RecurrentCell cell) => cell == RecurrentCell.Lstm ? 4 : Check(cell, 3);

    /// <summary>True for the LSTMs, whose chain state is (h, c) of width 2H.</summary>
    public static bool HasCellState(RecurrentCell cell) => Check(cell, cell is RecurrentCell.Lstm or RecurrentCell.LstmCifgDiag);

    /// <summary>True for the cells whose <c>weight_hh</c> is a vector [G·H] applied elementwise.</summary>
    public static bool HasDiagonalRecurrence(RecurrentCell cell) => Check(cell, cell is RecurrentCell.GruDiag or RecurrentCell.LstmCifgDiag);

    /// <summary>The width of the chain state: H, or 2H for the cells with a cell state.</summary>
    public static int StateWidth(RecurrentCell cell, int hidden) => HasCellState(cell) ? 2 * hidden : hidden;

    private static T Check<T>(RecurrentCell cell, T value) => Enum.IsDefined(cell) ? value : throw new ArgumentOutOfRangeException(nameof(cell), cell, "Unknown recurrent cell.");
}

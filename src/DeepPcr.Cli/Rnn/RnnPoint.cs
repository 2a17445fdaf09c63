namespace DeepPcr.Cli.Rnn;

/// <summary>One point of `deeppcr bench rnn`: a cell at sequence length T, hidden width H, batch B and input width I.</summary>
/// <param name="Cell">gru, lstm, gru-diag or lstm-cifg-diag.</param>
/// <param name="Steps">T.</param>
/// <param name="Hidden">H.</param>
/// <param name="Batch">B.</param>
/// <param name="Inputs">I (H unless given).</param>
/// <param name="Seed">Seed of the weights, the input and the cotangent.</param>
/// <param name="Repeats">Timed repetitions of every case.</param>
public sealed record RnnPoint(string Cell, int Steps, int Hidden, int Batch, int Inputs, long Seed, int Repeats)
{
    /// <summary>Gate blocks G in the weight rows: 4 for lstm ([i; f; g; o]), 3 for the others.</summary>
    public int Gates => Cell == "lstm" ? 4 : 3;

    /// <summary>The recurrent weight is one vector [G·H] (ParaRNN's diagonal cells) rather than [G·H, H].</summary>
    public bool Diagonal => Cell.EndsWith("diag", StringComparison.Ordinal);

    /// <summary>The state carries a cell vector c besides h.</summary>
    public bool HasCellState => Cell is "lstm" or "lstm-cifg-diag";

    /// <summary>The width of the chain's state: 2H with a cell vector, else H.</summary>
    public int StateWidth => HasCellState ? 2 * Hidden : Hidden;

    /// <summary>"cell T=.. H=.. B=..", for progress and messages.</summary>
    public override string ToString() => $"{Cell} T={Steps} H={Hidden} B={Batch}";
}

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The sizes of a recurrent problem as the kernels see them (a blittable kernel argument): T steps, B samples, H units,
/// I inputs, the cell (<see cref="Recurrent.RecurrentCell"/> as an int) and k, the block size of its BlockDiagonal(k)
/// Jacobian (1: diagonal). Device layouts, row-major float32, time first: input x (T, B, I); projections and gate
/// deltas (T, B, 3H); states, outputs and right-hand sides (T, B, S) with S = k H and each row (h, c); Jacobian
/// blocks (T, B, H, k, k), block (t, b, i) coupling entries i and H + i of a state; output cotangent (T, B, H).
/// </summary>
public readonly struct RecurrentDims
{
    /// <summary>Creates the dims.</summary>
    /// <param name="length">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="hidden">H.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="cell">The cell as an int.</param>
    /// <param name="blockSize">k (1 or 2).</param>
    public RecurrentDims(int length, int batch, int hidden, int inputSize, int cell, int blockSize)
    {
        Length = length;
        Batch = batch;
        Hidden = hidden;
        InputSize = inputSize;
        Cell = cell;
        BlockSize = blockSize;
    }

    /// <summary>T.</summary>
    public readonly int Length;

    /// <summary>B.</summary>
    public readonly int Batch;

    /// <summary>H.</summary>
    public readonly int Hidden;

    /// <summary>I.</summary>
    public readonly int InputSize;

    /// <summary>0 gru-diag, 1 lstm-cifg-diag.</summary>
    public readonly int Cell;

    /// <summary>k: 1 (diagonal) or 2 (2 x 2 blocks of diagonals).</summary>
    public readonly int BlockSize;

    /// <summary>S = k H.</summary>
    public int StateWidth => BlockSize * Hidden;

    /// <summary>3H: the gate rows.</summary>
    public int GateRows => 3 * Hidden;

    /// <summary>T B: the (t, b) rows.</summary>
    public int Rows => Length * Batch;

    /// <summary>T B H: one thread per unit and step.</summary>
    public int Units => Length * Batch * Hidden;

    /// <summary>T B S: the values of all states.</summary>
    public int States => Length * Batch * StateWidth;

    /// <summary>T B H k^2: the values of all Jacobian blocks.</summary>
    public int BlockEntries => Units * BlockSize * BlockSize;

    /// <summary>Columns of the parameter-gradient reduction per gate row: I weight columns, then b_ih, w_hh and b_hh.</summary>
    public int ParameterColumns => InputSize + 3;
}

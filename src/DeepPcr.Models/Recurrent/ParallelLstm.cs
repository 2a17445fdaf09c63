using DeepPcr.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>
/// A drop-in for TorchSharp's <c>nn.LSTM</c> whose layers are solved along T in parallel (Newton + PCR) or
/// sequentially: the same constructor arguments, parameter names, initialisation and <c>forward</c> (TorchSharp's
/// (output, h_n, c_n), PyTorch's (output, (h_n, c_n))). With <c>cell: RecurrentCell.LstmCifgDiag</c> it is ParaRNN's
/// diagonal LSTM with coupled input and forget gates: gate rows [f; g; o], <c>weight_hh</c> of shape [3H].
/// <c>proj_size</c> is not supported.
/// </summary>
public sealed class ParallelLstm : ParallelRecurrent<(Tensor, Tensor)?, (Tensor, Tensor, Tensor)>
{
    /// <summary>An LSTM with <c>nn.LSTM</c>'s arguments.</summary>
    /// <param name="inputSize">Features I of the input.</param>
    /// <param name="hiddenSize">Features H of the hidden and cell states.</param>
    /// <param name="numLayers">Stacked layers.</param>
    /// <param name="bias">Whether the layers have biases.</param>
    /// <param name="batchFirst">Input and output are [B, T, ·].</param>
    /// <param name="dropout">Dropout on each layer's output except the last's, in training.</param>
    /// <param name="bidirectional">Each layer also runs along reversed T.</param>
    /// <param name="device">Where the parameters live.</param>
    /// <param name="dtype">Their dtype.</param>
    /// <param name="cell"><see cref="RecurrentCell.Lstm"/> (PyTorch's) or <see cref="RecurrentCell.LstmCifgDiag"/> (ParaRNN's).</param>
    /// <param name="projSize">PyTorch's projection size: only 0 (none) is supported.</param>
    /// <exception cref="ArgumentException">A bad size or dropout probability, or a cell that is not an LSTM.</exception>
    /// <exception cref="NotSupportedException"><paramref name="projSize"/> is not 0.</exception>
    public ParallelLstm(long inputSize, long hiddenSize, long numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0.0,
        bool bidirectional = false, Device? device = null, ScalarType? dtype = null, RecurrentCell cell = RecurrentCell.Lstm, long projSize = 0)
        : base("ParallelLstm", new RecurrentLayout(Check(cell, projSize), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional), device, dtype)
    {
    }

    /// <summary>(output, h_n, c_n): output [T, B, D·H] ([B, T, D·H] batch first), h_n and c_n [layers·D, B, H].</summary>
    /// <param name="input">[T, B, I], [B, T, I] batch first, or [T, I] unbatched.</param>
    /// <param name="h0_c0">(h_0, c_0), each [layers·D, B, H], or null for zeros.</param>
    public override (Tensor, Tensor, Tensor) forward(Tensor input, (Tensor, Tensor)? h0_c0 = null)
    {
        var result = Run(input, h0_c0?.Item1, h0_c0?.Item2);
        return (result.Output, result.HN, result.CN!);
    }

    /// <summary>(output, h_n, c_n) from zero initial states.</summary>
    public (Tensor, Tensor, Tensor) call(Tensor input) => call(input, null);

    private static RecurrentCell Check(RecurrentCell cell, long projSize)
    {
        if (projSize != 0) throw new NotSupportedException($"proj_size = {projSize} is not supported by ParallelLstm (only 0, no projection).");
        return cell is RecurrentCell.Lstm or RecurrentCell.LstmCifgDiag
            ? cell
            : throw new ArgumentException($"ParallelLstm runs the cells lstm and lstm-cifg-diag, not {RecurrentCells.Name(cell)}; use ParallelGru for the GRUs.");
    }
}

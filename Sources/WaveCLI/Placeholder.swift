import WaveTensor
